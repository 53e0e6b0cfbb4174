import type { Section } from '../store/navigation';

/** Titles and introductions of the four sections. */
export const SECTION_TEXT: Record<Section, { title: string; intro: string }> = {
  lessons: {
    title: 'Lessons',
    intro:
      'Short lessons on DaemonSets versus Deployments: one pod per node against a number of replicas, taints and tolerations, node selectors, rolling updates and what happens when nodes come and go.',
  },
  labs: {
    title: 'Labs',
    intro:
      'Hands-on exercises on a local cluster. Write the YAML, apply it, and Kubelab grades the result node by node: which nodes must run a pod, which may keep one, and which must not.',
  },
  quiz: {
    title: 'Quiz',
    intro: 'Quick questions that check you can predict where pods land before you apply anything.',
  },
  exam: {
    title: 'Exam',
    intro:
      'Timed, CKA-style tasks against the clock, scored per task with partial credit, with a report at the end.',
  },
};
