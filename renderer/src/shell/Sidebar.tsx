import { useAppStore } from '../store';
import { SECTIONS } from '../store/navigation';
import { SECTION_TEXT } from '../sections/text';
import { Logo, SectionIcon } from './icons';

export function Sidebar() {
  const section = useAppStore((state) => state.section);
  const setSection = useAppStore((state) => state.setSection);
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <Logo />
        <span>Kubelab</span>
      </div>
      <ul>
        {SECTIONS.map((id) => (
          <li key={id}>
            <button
              type="button"
              className="nav-item"
              aria-current={id === section ? 'page' : undefined}
              onClick={() => setSection(id)}
            >
              <SectionIcon section={id} />
              {SECTION_TEXT[id].title}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
