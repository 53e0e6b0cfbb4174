import { describe, expect, it } from 'vitest';
import { parseImage } from './images';
import {
  expandKubernetesVars,
  handlesSigterm,
  piDigits,
  programFor,
  simulate,
  type ContainerCommand,
  type ProgramContext,
} from './programs';

const START = Date.UTC(2026, 0, 1);

function run(
  image: string,
  container: ContainerCommand,
  horizonMs = 3_600_000,
  extra: Partial<ProgramContext> = {},
) {
  const parsed = parseImage(image);
  const ref = parsed.ok ? parsed.ref : undefined;
  const env = new Map<string, string>(extra.env ?? [['GREETING', 'hello']]);
  const program = programFor(container, ref, env);
  const result = simulate(
    program,
    {
      env,
      hostname: 'web-0',
      podIP: '10.244.1.2',
      hostIP: '172.18.0.3',
      kernel: '6.1.0-kubelab',
      stdin: false,
      ...extra,
    },
    { start: START, horizon: START + horizonMs, maxLines: 1000, ref },
  );
  return {
    program,
    lines: result.lines.map((l) => l.text),
    times: result.lines.map((l) => (l.at - START) / 1000),
    exit: result.exit && { after: (result.exit.at - START) / 1000, code: result.exit.code },
    sigterm: handlesSigterm(program, result.trapsTerm),
  };
}

describe('what a container runs', () => {
  it('runs servers until stopped, and they stop on SIGTERM', () => {
    const nginx = run('nginx', {});
    expect(nginx.exit).toBeUndefined();
    expect(nginx.sigterm).toBe(true);
    expect(nginx.lines).toContain(
      '/docker-entrypoint.sh: Configuration complete; ready for start up',
    );
    expect(nginx.lines).toContain('2026/01/01 00:00:00 [notice] 1#1: nginx/1.29.0');
    expect(run('nginx:1.27', {}).lines).toContain('2026/01/01 00:00:00 [notice] 1#1: nginx/1.27.0');
    expect(run('redis:7.2.5', {}).lines).toContain(
      '1:C 01 Jan 2026 00:00:00.000 * Redis version=7.2.5, bits=64, commit=00000000, modified=0, pid=1, just started',
    );
    expect(run('httpd', {}).lines[0]).toContain('using 10.244.1.2');
    expect(run('myorg/api:1', {}).exit).toBeUndefined();
  });

  it('ends shell images at once unless stdin is open', () => {
    expect(run('busybox', {}).exit).toEqual({ after: 0, code: 0 });
    expect(run('alpine', {}).exit).toEqual({ after: 0, code: 0 });
    expect(run('busybox', {}, 3_600_000, { stdin: true }).exit).toBeUndefined();
  });

  it('interprets shell commands: exit codes, sleeps, echo output', () => {
    expect(run('busybox', { command: ['sh', '-c', 'exit 1'] }).exit).toEqual({ after: 0, code: 1 });
    expect(run('busybox', { command: ['true'] }).exit).toEqual({ after: 0, code: 0 });
    expect(run('busybox', { command: ['false'] }).exit?.code).toBe(1);
    const echo = run('busybox', { command: ['echo', 'hi', 'there'] });
    expect(echo.lines).toEqual(['hi there']);
    expect(echo.exit).toEqual({ after: 0, code: 0 });
    const script = run('busybox', {
      command: ['sh', '-c', 'echo "$GREETING world"; sleep 5; echo done; exit 3'],
    });
    expect(script.lines).toEqual(['hello world', 'done']);
    expect(script.times).toEqual([0, 5]);
    expect(script.exit).toEqual({ after: 5, code: 3 });
    expect(run('busybox', { args: ['sleep', '30'] }).exit).toEqual({ after: 30, code: 0 });
    expect(run('busybox', { command: ['sh', '-c', 'false && echo no || echo yes'] }).lines).toEqual(
      ['yes'],
    );
  });

  it('keeps long-running commands running, ignoring SIGTERM as PID 1', () => {
    for (const command of [
      ['sleep', '3600'],
      ['sleep', 'infinity'],
      ['tail', '-f', '/dev/null'],
      ['sh', '-c', 'while true; do sleep 1; done'],
    ]) {
      const result = run('busybox', { command }, 60_000);
      expect(result.exit, command.join(' ')).toBeUndefined();
      expect(result.sigterm, command.join(' ')).toBe(false);
    }
    expect(
      run('busybox', { command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] })
        .sigterm,
    ).toBe(true);
  });

  it('writes a line per loop iteration, over cluster time', () => {
    const loop = run(
      'busybox',
      { command: ['sh', '-c', 'while true; do echo tick; sleep 5; done'] },
      21_000,
    );
    expect(loop.times).toEqual([0, 5, 10, 15, 20]);
    const dates = run(
      'busybox',
      { command: ['/bin/sh', '-c', 'while true; do date; sleep 10; done'] },
      15_000,
    );
    expect(dates.lines).toEqual(['Thu Jan  1 00:00:00 UTC 2026', 'Thu Jan  1 00:00:10 UTC 2026']);
    const counter = run('busybox', {
      command: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 3 ]; do echo "count $i"; i=$((i+1)); sleep 1; done',
      ],
    });
    expect(counter.lines).toEqual(['count 0', 'count 1', 'count 2']);
    expect(counter.exit).toEqual({ after: 3, code: 0 });
    const forLoop = run('busybox', { command: ['sh', '-c', 'for i in 1 2 3; do echo $i; done'] });
    expect(forLoop.lines).toEqual(['1', '2', '3']);
  });

  it('skips ahead through long periodic loops, keeping the last lines', () => {
    const day = run(
      'busybox',
      { command: ['sh', '-c', 'while true; do echo tick; sleep 1; done'] },
      86_400_000,
    );
    expect(day.lines.length).toBeLessThanOrEqual(2000);
    expect(day.times[day.times.length - 1]).toBe(86_400);
  });

  it('sends output redirected to a file nowhere', () => {
    expect(
      run('busybox', { command: ['sh', '-c', 'echo hidden > /tmp/x; echo shown; cat /tmp/x'] })
        .lines,
    ).toEqual(['shown', 'hidden']);
  });

  it('fails to start a binary that is not on PATH (runc wording)', () => {
    expect(run('busybox', { command: ['sleep 3600'] }).program).toEqual({
      kind: 'startError',
      message:
        'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "sleep 3600": executable file not found in $PATH: unknown',
    });
    expect(run('alpine', { command: ['bash', '-c', 'echo hi'] }).program.kind).toBe('startError');
    expect(run('busybox', { command: ['/bin/bash'] }).program).toMatchObject({
      message: expect.stringContaining(
        'exec: "/bin/bash": stat /bin/bash: no such file or directory',
      ),
    });
    expect(run('ubuntu', { command: ['bash', '-c', 'echo hi'] }).lines).toEqual(['hi']);
  });

  it('prints "not found" for an unknown command inside a busybox shell', () => {
    const result = run('busybox', { command: ['sh', '-c', 'curl http://web; echo $?'] });
    expect(result.lines).toEqual(['sh: curl: not found', '127']);
  });

  it('makes databases without a password exit with their entrypoint error', () => {
    const postgres = run('postgres:16', {});
    expect(postgres.exit).toEqual({ after: 0, code: 1 });
    expect(postgres.lines[0]).toBe(
      'Error: Database is uninitialized and superuser password is not specified.',
    );
    expect(
      run('postgres:16', {}, 1000, { env: new Map([['POSTGRES_PASSWORD', 'x']]) }).exit,
    ).toBeUndefined();
    expect(run('mysql:8.0', {}).exit?.code).toBe(1);
  });

  it('expands Kubernetes $(VAR) references in command and args', () => {
    const env = new Map([['NAME', 'kube']]);
    expect(expandKubernetesVars('hello $(NAME) $(MISSING) $$(NAME)', env)).toBe(
      'hello kube $(MISSING) $(NAME)',
    );
    expect(run('busybox', { command: ['echo', '$(GREETING)'] }).lines).toEqual(['hello']);
  });

  it('computes π for the documentation Job', () => {
    expect(piDigits(10)).toBe('3.141592653');
    const job = run('perl:5.34.0', {
      command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'],
    });
    expect(job.lines[0]).toHaveLength(2001);
    expect(job.exit?.code).toBe(0);
  });
});
