/**
 * The `kubelab` command: one commander program, every level with `--help`. Errors go to stderr
 * as `error: …` with a non-zero exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { APP_VERSION } from '../services/app-service';
import { UsageError, type CliIo } from './io';
import { listClusters, parseCount, parseSeed, startCluster, stopCluster } from './cluster';
import { parsePort, serve } from './serve';
import { addNode, advanceCluster, removeNode, setKubelet } from './node';
import type { TargetOptions } from './target';
import {
  checkDaemonSet,
  ExitStatus,
  gradeLab,
  listLabs,
  nextStep,
  parseTimeout,
  resetLab,
  showHint,
  showStep,
  solveLab,
  startLab,
  validateLabsCommand,
  type CheckCommandOptions,
  type GradeCommandOptions,
  type LabOptions,
} from './labs';

/** The options that choose which cluster a changing command acts on (see target.ts). */
function targetOptions(command: Command): Command {
  return command
    .option('--cluster <name>', 'a running cluster Kubelab started (default: the only one)')
    .option('--kubeconfig <file>', 'a kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'a context of the kubeconfig')
    .option('--yes', 'act on a context even though Kubelab did not start its cluster');
}

/**
 * The options every lab command takes: where the labs are, and which cluster. Read-only
 * commands accept any context; changing ones also take --yes (target.ts).
 */
function labOptions(command: Command, changes: boolean): Command {
  command
    .option('--labs-dir <dir>', "the labs folder (default: the repository's labs/)")
    .option('--cluster <name>', 'a running cluster Kubelab started (default: the only one)')
    .option('--kubeconfig <file>', 'a kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'a context of the kubeconfig');
  return changes
    ? command.option('--yes', 'act on a context even though Kubelab did not start its cluster')
    : command;
}

function timeoutOption(): Option {
  return new Option(
    '--timeout <duration>',
    'how long to wait for the cluster to settle before grading anyway (e.g. 60s, 2m)',
  )
    .argParser(parseTimeout)
    .default(60_000, '60s');
}

export interface RunResult {
  /** Exit code, once the command has finished (long-running commands resolve on stop). */
  readonly exitCode: number;
}

/** Builds the program. `onServing` receives a stop function from long-running commands. */
export function buildProgram(io: CliIo, onServing: (stop: () => Promise<void>) => void): Command {
  const program = new Command('kubelab')
    .description(
      'Kubelab: practise Kubernetes DaemonSets and Deployments on a local cluster, graded node by node.',
    )
    .version(APP_VERSION, '-V, --version', 'print the Kubelab version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
    })
    .exitOverride();

  program
    .command('version')
    .description('print the Kubelab version')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }) => {
      const info = { kubelab: APP_VERSION, node: process.versions.node };
      io.out(
        options.json ? `${JSON.stringify(info)}\n` : `kubelab ${APP_VERSION} (node ${info.node})\n`,
      );
    });

  program
    .command('serve')
    .description('serve the app in browser mode on 127.0.0.1 and print its URL')
    .addOption(
      new Option('-p, --port <port>', 'port to listen on (0: any free port)').argParser(parsePort),
    )
    .option('--new-token', 'make a new access token (tabs opened before must use the new URL)')
    .option('--dev', 'serve the renderer from source with hot reload (development)')
    .option('--no-cluster', 'do not start the practice cluster')
    .action(
      async (options: { port?: number; newToken?: boolean; dev?: boolean; cluster?: boolean }) => {
        const serving = await serve(options, io);
        onServing(() => serving.close());
      },
    );

  const cluster = program
    .command('cluster')
    .description('run and manage embedded Kubernetes clusters (no Docker needed)');
  cluster
    .command('start')
    .description(
      'run an embedded cluster in the foreground until Ctrl+C; writes its kubeconfig and prints "ready: kubeconfig=… server=… context=…"',
    )
    .option(
      '--name <name>',
      'cluster name (nodes are <name>-control-plane, <name>-worker, …)',
      'lab',
    )
    .addOption(
      new Option('--workers <n>', 'number of worker nodes').argParser(parseCount).default(3),
    )
    .option('--kubeconfig <file>', "write the kubeconfig here (default: in Kubelab's state folder)")
    .option(
      '--merge-kubeconfig',
      'merge the context into ~/.kube/config (or --kubeconfig) instead of a file of its own',
    )
    .option(
      '--data-dir <dir>',
      'keep the cluster (objects, CA, token) in this folder across restarts',
    )
    .addOption(
      new Option('-p, --port <port>', 'API server port (0: any free port)')
        .argParser(parsePort)
        .default(0),
    )
    .addOption(
      new Option('--seed <n>', 'seed for generated names and uids (reproducible runs)').argParser(
        parseSeed,
      ),
    )
    .addOption(
      new Option('--pace <pace>', 'how long simulated work takes (a new cluster only)')
        .choices(['instant', 'realistic'])
        .default('realistic'),
    )
    .action(
      async (options: {
        name: string;
        workers: number;
        kubeconfig?: string;
        mergeKubeconfig?: boolean;
        dataDir?: string;
        port: number;
        seed?: number;
        pace: 'instant' | 'realistic';
      }) => {
        onServing(await startCluster(options, io));
      },
    );
  cluster
    .command('stop')
    .description('stop a running cluster that Kubelab started')
    .argument('<name>', 'the cluster name (see "kubelab cluster list")')
    .action(async (name: string) => {
      await stopCluster(name, io);
    });
  cluster
    .command('list')
    .description('list the running clusters Kubelab started')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await listClusters(io, Boolean(options.json));
    });
  targetOptions(
    cluster
      .command('advance')
      .description(
        'age the cluster by a duration (e.g. 5m, 1h30m): everything due in that time happens, in order',
      )
      .argument('<duration>', 'a Go duration: 40s, 5m, 1h30m (whole seconds, at most 24h)'),
  ).action(async (duration: string, options: TargetOptions) => {
    await advanceCluster(duration, options, io);
  });

  const node = program
    .command('node')
    .description("add, remove, stop and start an embedded cluster's nodes");
  targetOptions(
    node
      .command('add')
      .description('add a node (its simulated kubelet registers it and runs its pods)')
      .option('--name <name>', 'node name (default: the next <cluster>-workerN)')
      .option('--labels <k=v,…>', 'extra node labels')
      .option('--taints <k=v:Effect,…>', 'node taints')
      .option('--role <role>', 'worker or control-plane', 'worker'),
  ).action(
    async (
      options: TargetOptions & { name?: string; labels?: string; taints?: string; role?: string },
    ) => {
      await addNode(options, io);
    },
  );
  targetOptions(
    node
      .command('remove')
      .description('remove a node (its pods are garbage-collected as on a real cluster)')
      .argument('<name>', 'node name'),
  ).action(async (name: string, options: TargetOptions) => {
    await removeNode(name, options, io);
  });
  targetOptions(
    node
      .command('stop')
      .description("stop a node's kubelet, as when the machine loses power")
      .argument('<name>', 'node name'),
  ).action(async (name: string, options: TargetOptions) => {
    await setKubelet(name, 'Stopped', options, io);
  });
  targetOptions(
    node
      .command('start')
      .description("start a node's kubelet again")
      .argument('<name>', 'node name'),
  ).action(async (name: string, options: TargetOptions) => {
    await setKubelet(name, 'Running', options, io);
  });

  const labs = program.command('labs').description('list and validate the labs');
  labOptions(
    labs.command('list').description('list the labs').option('--json', 'print as JSON'),
    false,
  ).action(async (options: LabOptions & { json?: boolean }) => {
    await listLabs(options, io);
  });
  labOptions(
    labs
      .command('validate')
      .description('check every lab of a folder; prints file:line:col: message for each problem')
      .argument('[dir]', "the labs folder (default: --labs-dir, else the repository's labs/)"),
    false,
  ).action(async (dir: string | undefined, options: LabOptions) => {
    await validateLabsCommand(dir, options, io);
  });

  const lab = program
    .command('lab')
    .description('run a lab: start it, move through its steps, get hints, see the solution');
  labOptions(
    lab
      .command('start')
      .description('reset the cluster to its baseline, prepare it for the lab and print the task')
      .argument('<id>', 'the lab (see "kubelab labs list")'),
    true,
  ).action(async (id: string, options: LabOptions) => {
    await startLab(id, options, io);
  });
  labOptions(
    lab
      .command('show')
      .description("print the current step's task again")
      .argument('<id>', 'the lab'),
    false,
  ).action(async (id: string, options: LabOptions) => {
    await showStep(id, options, io);
  });
  labOptions(
    lab
      .command('next')
      .description(
        "move to the lab's next step (runs its setup) and print its task; the current step must have passed a grade",
      )
      .argument('<id>', 'the lab')
      .option('--force', 'move on even though the current step has not passed'),
    true,
  ).action(async (id: string, options: LabOptions & { force?: boolean }) => {
    await nextStep(id, options, io);
  });
  labOptions(
    lab
      .command('hint')
      .description("print the current step's next hint, from a nudge to nearly the answer")
      .argument('<id>', 'the lab'),
    false,
  ).action(async (id: string, options: LabOptions) => {
    await showHint(id, options, io);
  });
  labOptions(
    lab
      .command('solve')
      .description("run the current step's reference solution (or print it with --show)")
      .argument('<id>', 'the lab')
      .option('--show', 'print the commands a learner would type instead of running them')
      .option('--all', 'this step and every later one'),
    true,
  ).action(async (id: string, options: LabOptions & { show?: boolean; all?: boolean }) => {
    await solveLab(id, options, io);
  });

  labOptions(
    lab
      .command('reset')
      .description('leave the lab: put the cluster back to its baseline and forget the session')
      .argument('<id>', 'the lab'),
    true,
  ).action(async (id: string, options: LabOptions) => {
    await resetLab(id, options, io);
  });

  labOptions(
    program
      .command('grade')
      .description(
        "grade the lab's current step once the cluster has settled (exit 0 passed, 1 failed, 2 could not grade)",
      )
      .argument('<id>', 'the lab')
      .option('--json', 'print the report as JSON')
      .addOption(timeoutOption())
      .option('--answer <text>', "the learner's answer, for a question the lab asks"),
    false,
  ).action(async (id: string, options: GradeCommandOptions) => {
    await gradeLab(id, options, io);
  });
  labOptions(
    program
      .command('check')
      .description(
        'report, node by node, whether a DaemonSet runs where it should (exit codes as for grade)',
      )
      .argument('<ds/NAME>', 'the DaemonSet, e.g. ds/agent')
      .option('-n, --namespace <ns>', 'its namespace', 'default')
      .option('--json', 'print the report as JSON')
      .addOption(timeoutOption()),
    false,
  ).action(async (what: string, options: CheckCommandOptions) => {
    await checkDaemonSet(what, options, io);
  });

  return program;
}

/** Runs `argv` (without node and script). Long-running commands keep going after this returns. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  onServing: (stop: () => Promise<void>) => void = () => undefined,
): Promise<RunResult> {
  const program = buildProgram(io, onServing);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return { exitCode: 0 };
  } catch (error) {
    if (error instanceof ExitStatus) return { exitCode: error.exitCode };
    if (error instanceof CommanderError) {
      // Commander has printed its own message (or the help/version text).
      return { exitCode: error.exitCode };
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n`);
      return { exitCode: error.exitCode };
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return { exitCode: 1 };
  }
}
