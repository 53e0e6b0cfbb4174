import { Sidebar } from './shell/Sidebar';
import { StatusBar } from './shell/StatusBar';
import { SectionView } from './sections/SectionView';
import { useAppStore } from './store';

export function App() {
  const section = useAppStore((state) => state.section);
  return (
    <div className="shell">
      <Sidebar />
      <main className="main" aria-labelledby="section-title">
        <SectionView section={section} />
      </main>
      <StatusBar />
    </div>
  );
}
