/**
 * What a container runs, decided from its image and its command/args the way a container runtime
 * would start it: the image's entrypoint and default command (as data below), Kubernetes'
 * `$(VAR)` expansion of command and args (pkg/kubelet/container `ExpandContainerCommandAndArgs`),
 * and the exec of argv[0] (a missing binary is runc's `executable file not found in $PATH`).
 *
 * The result answers the kubelet's questions: does the container keep running or exit (when,
 * with which code), what does it print, and does its PID 1 stop on SIGTERM or only when killed
 * after the grace period (a shell or `sleep` as PID 1 ignores SIGTERM).
 */
import { renderBanner } from './banners';
import { imageVersion, type ImageReference } from './images';
import {
  literalWord,
  runScript,
  tryParseScript,
  type CommandKind,
  type LogLine,
  type RunResult,
  type Script,
  type ShellHost,
  type Simple,
} from './shell';

// ---------------------------------------------------------------------------------------------
// Image contents and behaviour (data)

/** Commands a busybox image has (its applets). */
const BUSYBOX = [
  'sh ash echo sleep cat tail head date env printenv true false ls wget nc nslookup ping ping6',
  'hostname top watch seq grep egrep fgrep sed awk tee touch mkdir rm rmdir cp mv ps kill killall',
  'id whoami uname df du find vi test [ [[ printf expr wc sort uniq cut tr xargs basename dirname',
  'chmod chown ln mount umount sync yes usleep timeout nohup time which less more tar gzip gunzip',
  'zcat md5sum sha256sum base64 od hexdump dd stat readlink realpath pwd free uptime dmesg netstat',
  'ifconfig ip route arp traceroute telnet httpd udhcpc logger crond su passwd adduser addgroup',
  'clear reset stty tty nproc mktemp diff patch cmp tac rev fold nl paste split strings bc dc',
  'factor shuf sum cksum install ipcalc arping ftpget ftpput tftp whois lsof pgrep pkill pidof',
  'pmap pstree renice nice chroot taskset ionice flock fuser setsid truncate unlink ed xxd',
  'busybox init halt reboot poweroff getty login cal hwclock env',
].join(' ');

/** Commands a Debian/Ubuntu base image has (no ping, curl, wget, ps or vi). */
const DEBIAN = [
  'sh bash dash echo sleep cat tail head date env printenv true false ls seq tee touch mkdir rm',
  'rmdir cp mv chmod chown ln id whoami uname df du wc sort uniq cut tr basename dirname printf',
  'expr test [ yes timeout nohup stat readlink realpath pwd nproc mktemp tac nl paste split',
  'sha256sum md5sum base64 od dd sync stty tty install shuf factor find xargs grep egrep fgrep',
  'sed awk mawk gawk gzip gunzip zcat tar hostname mount umount su login passwd apt apt-get dpkg',
  'perl kill more cmp diff',
].join(' ');

const ALPINE = `${BUSYBOX} apk ssl_client scanelf`;

const CONTENTS: Readonly<Record<'busybox' | 'alpine' | 'debian', ReadonlySet<string>>> = {
  busybox: new Set(BUSYBOX.split(/\s+/)),
  alpine: new Set(ALPINE.split(/\s+/)),
  debian: new Set(DEBIAN.split(/\s+/)),
};

/** What an image is and does. */
export interface ImageBehaviour {
  /** Without command and args: a long-running server, a shell (exits unless stdin is open), or fixed output. */
  readonly run: 'server' | 'shell' | 'output';
  /** The shell of shell images (`sh: x: not found`). */
  readonly shell?: string;
  /** Commands on PATH, when known; `alpine` variants of the tag switch to the alpine set. */
  readonly contents?: 'busybox' | 'alpine' | 'debian';
  /** Extra commands the image adds to its base. */
  readonly extra?: readonly string[];
  /** The image's server binaries (its own banner when they run). */
  readonly servers?: readonly string[];
  /** The banner its server prints (banners.ts), and the one when the command is overridden. */
  readonly banner?: string;
  readonly commandBanner?: string;
  /** Its entrypoint passes arguments that are flags to the server (nginx, redis, postgres…). */
  readonly flagsToServer?: boolean;
  /** Environment the entrypoint insists on: without one of these it prints `failBanner` and exits 1. */
  readonly requiredEnv?: readonly string[];
  readonly failBanner?: string;
  /** The exit code when it stops on SIGTERM (default 0). */
  readonly stopExitCode?: number;
  /** Output images (`hello-world`): their banner and exit code. */
  readonly exitCode?: number;
  /** An output image that prints the same whatever the args (`hello-world`). */
  readonly ignoresArgs?: boolean;
}

/** Image behaviours by normalized repository. Unknown images run as servers that handle SIGTERM. */
export const IMAGE_BEHAVIOURS: Readonly<Record<string, ImageBehaviour>> = {
  'docker.io/library/nginx': {
    run: 'server',
    contents: 'debian',
    extra: ['nginx', 'nginx-debug', 'envsubst', 'curl', '/docker-entrypoint.sh'],
    servers: ['nginx', 'nginx-debug', '/docker-entrypoint.sh', 'docker-entrypoint.sh'],
    banner: 'nginx',
    commandBanner: 'nginx-core',
    flagsToServer: true,
  },
  'docker.io/library/httpd': {
    run: 'server',
    contents: 'debian',
    extra: ['httpd', 'httpd-foreground', 'apachectl'],
    servers: ['httpd', 'httpd-foreground', 'apachectl'],
    banner: 'httpd',
    flagsToServer: true,
  },
  'docker.io/library/redis': {
    run: 'server',
    contents: 'debian',
    extra: ['redis-server', 'redis-cli', 'redis-sentinel', 'docker-entrypoint.sh'],
    servers: ['redis-server', 'redis-sentinel', 'docker-entrypoint.sh'],
    banner: 'redis',
    flagsToServer: true,
  },
  'docker.io/library/memcached': {
    run: 'server',
    contents: 'debian',
    extra: ['memcached', 'docker-entrypoint.sh'],
    servers: ['memcached', 'docker-entrypoint.sh'],
    flagsToServer: true,
  },
  'docker.io/library/postgres': {
    run: 'server',
    contents: 'debian',
    extra: ['postgres', 'psql', 'pg_ctl', 'initdb', 'docker-entrypoint.sh'],
    servers: ['postgres', 'docker-entrypoint.sh'],
    banner: 'postgres',
    flagsToServer: true,
    requiredEnv: ['POSTGRES_PASSWORD', 'POSTGRES_HOST_AUTH_METHOD'],
    failBanner: 'postgres-no-password',
  },
  'docker.io/library/mysql': {
    run: 'server',
    servers: ['mysqld', 'docker-entrypoint.sh'],
    banner: 'mysql',
    flagsToServer: true,
    requiredEnv: [
      'MYSQL_ROOT_PASSWORD',
      'MYSQL_ALLOW_EMPTY_PASSWORD',
      'MYSQL_RANDOM_ROOT_PASSWORD',
    ],
    failBanner: 'mysql-no-password',
  },
  'docker.io/library/busybox': { run: 'shell', shell: 'sh', contents: 'busybox' },
  'docker.io/library/alpine': { run: 'shell', shell: 'sh', contents: 'alpine' },
  'docker.io/library/ubuntu': { run: 'shell', shell: 'bash', contents: 'debian' },
  'docker.io/library/debian': { run: 'shell', shell: 'bash', contents: 'debian' },
  'docker.io/library/perl': { run: 'shell', shell: 'bash', contents: 'debian', extra: ['cpan'] },
  'docker.io/library/python': {
    run: 'shell',
    shell: 'bash',
    contents: 'debian',
    extra: ['python', 'python3', 'pip', 'pip3', 'curl', 'wget'],
  },
  'docker.io/library/node': {
    run: 'shell',
    shell: 'bash',
    contents: 'debian',
    extra: ['node', 'npm', 'npx', 'yarn', 'curl', 'wget'],
  },
  'docker.io/library/golang': {
    run: 'shell',
    shell: 'bash',
    contents: 'debian',
    extra: ['go', 'gofmt', 'curl', 'wget', 'git'],
  },
  'docker.io/nicolaka/netshoot': { run: 'shell', shell: 'zsh' },
  'docker.io/library/hello-world': {
    run: 'output',
    banner: 'hello-world',
    exitCode: 0,
    ignoresArgs: true,
  },
  'docker.io/curlimages/curl': {
    run: 'output',
    banner: 'curl',
    exitCode: 2,
    contents: 'alpine',
    extra: ['curl'],
  },
  'docker.io/bitnami/kubectl': { run: 'output', banner: 'kubectl', exitCode: 0 },
  'docker.io/library/fluentd': { run: 'server', servers: ['fluentd', 'tini'], flagsToServer: true },
  'docker.io/fluent/fluentd': { run: 'server', servers: ['fluentd', 'tini'], flagsToServer: true },
  'docker.io/fluent/fluent-bit': {
    run: 'server',
    servers: ['/fluent-bit/bin/fluent-bit', 'fluent-bit'],
    banner: 'fluent-bit',
    flagsToServer: true,
  },
  'registry.k8s.io/coredns/coredns': {
    run: 'server',
    servers: ['/coredns', 'coredns'],
    banner: 'coredns',
    flagsToServer: true,
  },
  'registry.k8s.io/kube-proxy': {
    run: 'server',
    servers: ['kube-proxy', '/usr/local/bin/kube-proxy'],
    banner: 'kube-proxy',
    flagsToServer: true,
  },
  'docker.io/prom/node-exporter': {
    run: 'server',
    servers: ['/bin/node_exporter', 'node_exporter'],
    banner: 'node-exporter',
    flagsToServer: true,
  },
  'quay.io/prometheus/node-exporter': {
    run: 'server',
    servers: ['/bin/node_exporter', 'node_exporter'],
    banner: 'node-exporter',
    flagsToServer: true,
  },
  'docker.io/library/tomcat': { run: 'server', stopExitCode: 143, flagsToServer: true },
};

/**
 * Server binaries wherever they run: a script that reaches one blocks there. `sigterm: false`
 * for interpreters that install no SIGTERM handler, so as PID 1 they ignore it (and as a child
 * of a shell they are killed with it, which the shell's own handling decides).
 */
const SERVER_COMMANDS: Readonly<Record<string, { readonly sigterm: boolean }>> = {
  nginx: { sigterm: true },
  'nginx-debug': { sigterm: true },
  httpd: { sigterm: true },
  'httpd-foreground': { sigterm: true },
  apachectl: { sigterm: true },
  'redis-server': { sigterm: true },
  memcached: { sigterm: true },
  postgres: { sigterm: true },
  mysqld: { sigterm: true },
  mongod: { sigterm: true },
  'rabbitmq-server': { sigterm: true },
  fluentd: { sigterm: true },
  'fluent-bit': { sigterm: true },
  coredns: { sigterm: true },
  'kube-proxy': { sigterm: true },
  kindnetd: { sigterm: true },
  node_exporter: { sigterm: true },
  'local-path-provisioner': { sigterm: true },
  pause: { sigterm: true },
  etcd: { sigterm: true },
  'kube-apiserver': { sigterm: true },
  'kube-controller-manager': { sigterm: true },
  'kube-scheduler': { sigterm: true },
  'metrics-server': { sigterm: true },
  traefik: { sigterm: true },
  haproxy: { sigterm: true },
  registry: { sigterm: true },
  agnhost: { sigterm: true },
  java: { sigterm: true },
  top: { sigterm: true },
  watch: { sigterm: true },
  // Interpreters running a server script: no handler, so PID 1 ignores SIGTERM.
  python: { sigterm: false },
  python3: { sigterm: false },
  node: { sigterm: false },
  ping: { sigterm: false },
};

// ---------------------------------------------------------------------------------------------
// Programs

/** The context a program runs in: its environment and identity. */
export interface ProgramContext {
  /** The container's environment, in order (as `env` prints it). */
  readonly env: ReadonlyMap<string, string>;
  readonly hostname: string;
  readonly podIP: string;
  readonly hostIP: string;
  readonly kernel: string;
  /** `stdin: true`: a shell or `cat` waits for input forever. */
  readonly stdin: boolean;
  /** Lines other containers of the pod wrote to a file this one reads. */
  readonly readFile?: (path: string, until: number) => LogLine[] | undefined;
}

export type Program =
  /** Runs until stopped, printing a banner at start. */
  | {
      readonly kind: 'server';
      readonly banner: string | undefined;
      readonly sigterm: boolean;
      readonly stopExitCode: number;
    }
  /** Prints and exits. */
  | { readonly kind: 'output'; readonly banner: string; readonly exitCode: number }
  /** A script (or a plain command) interpreted by shell.ts. */
  | {
      readonly kind: 'script';
      readonly script: Script;
      readonly pid1: string;
      readonly argv: readonly string[];
      readonly shell: string;
      readonly contents: ReadonlySet<string> | undefined;
      readonly servers: readonly string[];
      readonly banner: string | undefined;
    }
  /** The runtime could not exec argv[0]: the container never runs. */
  | { readonly kind: 'startError'; readonly message: string };

/** The parts of a container spec a program depends on. */
export interface ContainerCommand {
  readonly command?: readonly string[];
  readonly args?: readonly string[];
}

/**
 * `ExpandContainerCommandAndArgs`: `$(VAR)` becomes the variable's value when it is defined,
 * `$$` escapes a `$`, anything else stays as written (third_party/forked/golang/expansion).
 */
export function expandKubernetesVars(text: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close > 0) {
        const name = text.slice(i + 2, close);
        const value = env.get(name);
        out += value ?? `$(${name})`;
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function startError(detail: string): Program {
  return {
    kind: 'startError',
    message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${detail}: unknown`,
  };
}

function contentsOf(
  behaviour: ImageBehaviour | undefined,
  ref: ImageReference | undefined,
): ReadonlySet<string> | undefined {
  if (!behaviour?.contents) return undefined;
  const base = ref?.tag?.includes('alpine') ? CONTENTS.alpine : CONTENTS[behaviour.contents];
  const extra = behaviour.extra ?? [];
  return new Set([...base, ...extra]);
}

/** Decides what a container runs (at container start). */
export function programFor(
  container: ContainerCommand,
  ref: ImageReference | undefined,
  env: ReadonlyMap<string, string>,
): Program {
  const behaviour = ref ? IMAGE_BEHAVIOURS[ref.repository] : undefined;
  const command = (container.command ?? []).map((c) => expandKubernetesVars(c, env));
  const args = (container.args ?? []).map((a) => expandKubernetesVars(a, env));
  const serverProgram = (banner: string | undefined): Program => {
    if (behaviour?.requiredEnv && !behaviour.requiredEnv.some((name) => env.get(name))) {
      return { kind: 'output', banner: behaviour.failBanner ?? '', exitCode: 1 };
    }
    return {
      kind: 'server',
      banner,
      sigterm: true,
      stopExitCode: behaviour?.stopExitCode ?? 0,
    };
  };
  let argv: string[];
  if (command.length > 0) {
    argv = [...command, ...args];
  } else if (args.length > 0) {
    // Args replace the image's CMD. Under an exec-style entrypoint, flags go to the server and
    // a program name runs that program; unknown images are assumed to have an entrypoint.
    if (!behaviour) return serverProgram(undefined);
    if (behaviour.run === 'output') {
      // The entrypoint gets the args: its output is unknown here, so it prints nothing.
      return behaviour.ignoresArgs
        ? serverLess(behaviour)
        : { kind: 'output', banner: '', exitCode: 0 };
    }
    if (args[0]!.startsWith('-') && (behaviour.run === 'server' || behaviour.flagsToServer))
      return serverProgram(behaviour.banner);
    argv = args;
  } else {
    if (!behaviour || behaviour.run === 'server') return serverProgram(behaviour?.banner);
    if (behaviour.run === 'output') return serverLess(behaviour);
    argv = [behaviour.shell ?? 'sh'];
  }
  const contents = contentsOf(behaviour, ref);
  const argv0 = argv[0]!;
  const name = argv0.slice(argv0.lastIndexOf('/') + 1);
  if (/\s/.test(argv0) || argv0 === '') {
    return startError(`exec: ${JSON.stringify(argv0)}: executable file not found in $PATH`);
  }
  if (contents && !contents.has(name) && !contents.has(argv0)) {
    return startError(
      argv0.startsWith('/')
        ? `exec: ${JSON.stringify(argv0)}: stat ${argv0}: no such file or directory`
        : `exec: ${JSON.stringify(argv0)}: executable file not found in $PATH`,
    );
  }
  const servers = behaviour?.servers ?? [];
  if (servers.includes(argv0) || servers.includes(name)) {
    if (behaviour?.requiredEnv) return serverProgram(behaviour.banner);
    return {
      kind: 'server',
      banner:
        command.length > 0 ? (behaviour?.commandBanner ?? behaviour?.banner) : behaviour?.banner,
      sigterm: true,
      stopExitCode: behaviour?.stopExitCode ?? 0,
    };
  }
  if (SERVER_COMMANDS[name]?.sigterm) {
    return { kind: 'server', banner: undefined, sigterm: true, stopExitCode: 0 };
  }
  const shell = behaviour?.shell ?? 'sh';
  const isShell = name === 'sh' || name === 'bash' || name === 'ash' || name === 'dash';
  let script: Script | undefined;
  let scriptArgv: readonly string[] = [];
  if (isShell && argv[1] === '-c') {
    script = tryParseScript(argv[2] ?? '');
    scriptArgv = argv.slice(4);
  } else {
    const simple: Simple = {
      k: 'simple',
      words: argv.map(literalWord),
      assigns: [],
      redirects: [],
    };
    script = [{ first: { cmds: [simple], negate: false }, rest: [], background: false }];
  }
  if (!script) {
    // Beyond the interpreter: assume it keeps running (never invent a crash).
    return { kind: 'server', banner: undefined, sigterm: false, stopExitCode: 0 };
  }
  return {
    kind: 'script',
    script,
    pid1: name,
    argv: scriptArgv,
    shell: isShell ? name : shell,
    contents,
    servers,
    banner: behaviour?.banner,
  };
}

function serverLess(behaviour: ImageBehaviour): Program {
  return { kind: 'output', banner: behaviour.banner ?? '', exitCode: behaviour.exitCode ?? 0 };
}

export interface SimulateOptions {
  readonly start: number;
  readonly horizon: number;
  readonly maxLines: number;
  readonly ref: ImageReference | undefined;
  /** Only the exit matters (see RunOptions.planOnly). */
  readonly planOnly?: boolean;
}

const NO_FILES: RunResult['files'] = new Map();

/** Runs a program over simulated time: its output and, if it finishes, when and how. */
export function simulate(
  program: Program,
  context: ProgramContext,
  options: SimulateOptions,
): RunResult {
  const bannerContext = {
    start: options.start,
    version: options.ref ? imageVersion(options.ref) : '1.0.0',
    podIP: context.podIP,
    hostIP: context.hostIP,
    kernel: context.kernel,
  };
  const banner = (id: string | undefined): LogLine[] =>
    id ? renderBanner(id, bannerContext).map((text) => ({ at: options.start, text })) : [];
  switch (program.kind) {
    case 'startError':
      return {
        lines: [],
        skipped: 0,
        files: NO_FILES,
        trapsTerm: false,
        exit: { at: options.start, code: 128 },
      };
    case 'server':
      return { lines: banner(program.banner), skipped: 0, files: NO_FILES, trapsTerm: false };
    case 'output':
      return {
        lines: banner(program.banner),
        skipped: 0,
        files: NO_FILES,
        trapsTerm: false,
        exit: { at: options.start, code: program.exitCode },
      };
    case 'script': {
      const host: ShellHost = {
        shell: program.shell,
        hostname: context.hostname,
        stdin: context.stdin,
        command: (name, args) => commandKind(program, name, args, bannerContext),
        ...(context.readFile ? { readFile: context.readFile } : {}),
      };
      const env = new Map(context.env);
      env.set('HOSTNAME', context.hostname);
      return runScript(
        program.script,
        host,
        env,
        {
          start: options.start,
          horizon: options.horizon,
          maxLines: options.maxLines,
          ...(options.planOnly ? { planOnly: true } : {}),
        },
        program.pid1,
        program.argv,
      );
    }
  }
}

function commandKind(
  program: Extract<Program, { kind: 'script' }>,
  name: string,
  args: readonly string[],
  bannerContext: Parameters<typeof renderBanner>[1],
): CommandKind {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (program.contents && !program.contents.has(base) && !program.contents.has(name)) {
    return { kind: 'missing' };
  }
  if (base === 'perl' && args.some((a) => a.startsWith('-Mbignum=bpi'))) {
    // The Job example of the Kubernetes documentation prints π to 2000 digits.
    const digits = /bpi\((\d+)\)/.exec(args.join(' '))?.[1];
    return { kind: 'output', lines: [piDigits(Number(digits ?? '2000'))] };
  }
  if (program.servers.includes(base) || program.servers.includes(name)) {
    return {
      kind: 'server',
      lines: program.banner ? renderBanner(program.banner, bannerContext) : [],
    };
  }
  if (base === 'python' || base === 'python3') {
    return args.includes('http.server') ? { kind: 'server', lines: [] } : { kind: 'silent' };
  }
  if (base === 'ping' && !args.includes('-c')) return { kind: 'server', lines: [] };
  if (SERVER_COMMANDS[base]?.sigterm && base !== 'httpd') return { kind: 'server', lines: [] };
  if (base === 'httpd') return { kind: 'server', lines: [] };
  return { kind: 'silent' };
}

/**
 * Whether the container's PID 1 ends on SIGTERM. A server handles it; a shell, `sleep` or
 * `tail` as PID 1 has no handler, and the kernel ignores unhandled signals for PID 1, so it runs
 * until the kubelet kills it at the end of the grace period.
 */
export function handlesSigterm(program: Program, trapsTerm: boolean): boolean {
  switch (program.kind) {
    case 'server':
      return program.sigterm;
    case 'script':
      if (trapsTerm) return true;
      if (SERVER_COMMANDS[program.pid1]) return SERVER_COMMANDS[program.pid1]!.sigterm;
      return program.servers.includes(program.pid1);
    default:
      return true;
  }
}

/** The exit code a program stops with on SIGTERM (a server's own; 143 for 128 + SIGTERM). */
export function stopExitCode(program: Program): number {
  return program.kind === 'server' ? program.stopExitCode : 143;
}

/** π to `count` significant digits (Machin's formula on BigInts), as `bpi(count)` prints it. */
export function piDigits(count: number): string {
  const n = Math.max(1, Math.min(count, 20_000));
  const guard = 10;
  const scale = 10n ** BigInt(n + guard);
  const arctanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = scale / x;
    const x2 = x * x;
    for (let k = 0n; term !== 0n; k++) {
      sum += k % 2n === 0n ? term / (2n * k + 1n) : -(term / (2n * k + 1n));
      term /= x2;
    }
    return sum;
  };
  const pi = 4n * (4n * arctanInv(5n) - arctanInv(239n));
  const digits = (pi / 10n ** BigInt(guard)).toString();
  return `${digits[0]}.${digits.slice(1, n)}`;
}
