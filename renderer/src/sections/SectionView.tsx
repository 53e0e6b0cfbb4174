import type { Section } from '../store/navigation';
import { SECTION_TEXT } from './text';

export function SectionView({ section }: { section: Section }) {
  const text = SECTION_TEXT[section];
  return (
    <section className="section" data-section={section}>
      <h1 id="section-title">{text.title}</h1>
      <p className="intro">{text.intro}</p>
      <div className="empty">
        <p>
          Nothing here yet: this section arrives with the labs and lessons of the next releases.
        </p>
      </div>
    </section>
  );
}
