/**
 * What well-known images print when they start, as data: each line a template over the start
 * time, the version the image runs and the pod's address. Written from the images' own startup
 * output (nginx's docker-entrypoint and notice lines, the Redis banner, Apache's AH00558, the
 * PostgreSQL and MySQL entrypoints, CoreDNS's Corefile summary).
 */
import { MONTHS } from './shell';

export interface BannerContext {
  /** When the container started (ms). */
  readonly start: number;
  readonly version: string;
  readonly podIP: string;
  readonly kernel: string;
}

/** Banner templates by id. `{…}` placeholders are filled by `renderBanner`. */
export const BANNERS: Readonly<Record<string, readonly string[]>> = {
  nginx: [
    '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
    '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
    '10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf',
    '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
    '/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
    '/docker-entrypoint.sh: Configuration complete; ready for start up',
    '@nginx-core',
  ],
  'nginx-core': [
    '{nginxTime} [notice] 1#1: using the "epoll" event method',
    '{nginxTime} [notice] 1#1: nginx/{version}',
    '{nginxTime} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) ',
    '{nginxTime} [notice] 1#1: OS: Linux {kernel}',
    '{nginxTime} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576',
    '{nginxTime} [notice] 1#1: start worker processes',
    '{nginxTime} [notice] 1#1: start worker process 29',
    '{nginxTime} [notice] 1#1: start worker process 30',
    '{nginxTime} [notice] 1#1: start worker process 31',
    '{nginxTime} [notice] 1#1: start worker process 32',
    '{nginxTime} [notice] 1#1: start worker process 33',
    '{nginxTime} [notice] 1#1: start worker process 34',
    '{nginxTime} [notice] 1#1: start worker process 35',
    '{nginxTime} [notice] 1#1: start worker process 36',
  ],
  redis: [
    "1:C {redisTime} # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.",
    '1:C {redisTime} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
    '1:C {redisTime} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started',
    '1:C {redisTime} # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf',
    '1:M {redisTime} * monotonic clock: POSIX clock_gettime',
    '1:M {redisTime} * Running mode=standalone, port=6379.',
    '1:M {redisTime} * Server initialized',
    '1:M {redisTime} * Ready to accept connections tcp',
  ],
  httpd: [
    "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {podIP}. Set the 'ServerName' directive globally to suppress this message",
    "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {podIP}. Set the 'ServerName' directive globally to suppress this message",
    '[{httpdTime}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{version} (Unix) configured -- resuming normal operations',
    "[{httpdTime}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
  ],
  postgres: [
    'The files belonging to this database system will be owned by user "postgres".',
    'This user must also own the server process.',
    '',
    'The database cluster will be initialized with locale "en_US.utf8".',
    'The default database encoding has accordingly been set to "UTF8".',
    'The default text search configuration will be set to "english".',
    '',
    'Data page checksums are disabled.',
    '',
    'fixing permissions on existing directory /var/lib/postgresql/data ... ok',
    'creating subdirectories ... ok',
    'selecting dynamic shared memory implementation ... posix',
    'selecting default "max_connections" ... 100',
    'selecting default "shared_buffers" ... 128MB',
    'selecting default time zone ... Etc/UTC',
    'creating configuration files ... ok',
    'running bootstrap script ... ok',
    'performing post-bootstrap initialization ... ok',
    'syncing data to disk ... ok',
    '',
    '',
    'Success. You can now start the database server using:',
    '',
    '    pg_ctl -D /var/lib/postgresql/data -l logfile start',
    '',
    'initdb: warning: enabling "trust" authentication for local connections',
    'initdb: hint: You can change this by editing pg_hba.conf or using the option -A, or --auth-local and --auth-host, the next time you run initdb.',
    'waiting for server to start....{pgTime} [48] LOG:  starting PostgreSQL {version} (Debian {version}-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit',
    '{pgTime} [48] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
    '{pgTime} [51] LOG:  database system was shut down at {pgTime}',
    '{pgTime} [48] LOG:  database system is ready to accept connections',
    ' done',
    'server started',
    '',
    '/usr/local/bin/docker-entrypoint.sh: ignoring /docker-entrypoint-initdb.d/*',
    '',
    'waiting for server to shut down...{pgTime} [48] LOG:  received fast shutdown request',
    '.{pgTime} [48] LOG:  database system is shut down',
    ' done',
    'server stopped',
    '',
    'PostgreSQL init process complete; ready for start up.',
    '',
    '{pgTime} [1] LOG:  starting PostgreSQL {version} (Debian {version}-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit',
    '{pgTime} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
    '{pgTime} [1] LOG:  listening on IPv6 address "::", port 5432',
    '{pgTime} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
    '{pgTime} [64] LOG:  database system was shut down at {pgTime}',
    '{pgTime} [1] LOG:  database system is ready to accept connections',
  ],
  'postgres-no-password': [
    'Error: Database is uninitialized and superuser password is not specified.',
    '       You must specify POSTGRES_PASSWORD to a non-empty value for the',
    '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".',
    '',
    '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all',
    '       connections without a password. This is *not* recommended.',
    '',
    '       See PostgreSQL documentation about "trust":',
    '       https://www.postgresql.org/docs/current/auth-trust.html',
  ],
  mysql: [
    '{mysqlTime} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version}-1.el9 started.',
    "{mysqlTime} [Note] [Entrypoint]: Switching to dedicated user 'mysql'",
    '{mysqlTime} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version}-1.el9 started.',
    '{mysqlTime} [Note] [Entrypoint]: Initializing database files',
    '{mysqlTime} [Note] [Entrypoint]: Database files initialized',
    '{mysqlTime} [Note] [Entrypoint]: Starting temporary server',
    '{mysqlTime} [Note] [Entrypoint]: Temporary server started.',
    '{mysqlTime} [Note] [Entrypoint]: Stopping temporary server',
    '{mysqlTime} [Note] [Entrypoint]: Temporary server stopped',
    '',
    '{mysqlTime} [Note] [Entrypoint]: MySQL init process done. Ready for start up.',
    '',
    '{mysqlIso} 0 [System] [MY-015015] [Server] MySQL Server - start.',
    '{mysqlIso} 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld {version}) starting as process 1',
    "{mysqlIso} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '{version}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.",
  ],
  'mysql-no-password': [
    '{mysqlTime} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version}-1.el9 started.',
    "{mysqlTime} [Note] [Entrypoint]: Switching to dedicated user 'mysql'",
    '{mysqlTime} [Note] [Entrypoint]: Entrypoint script for MySQL Server {version}-1.el9 started.',
    '{mysqlTime} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified',
    '    You need to specify one of the following as an environment variable:',
    '    - MYSQL_ROOT_PASSWORD',
    '    - MYSQL_ALLOW_EMPTY_PASSWORD',
    '    - MYSQL_RANDOM_ROOT_PASSWORD',
  ],
  coredns: [
    '.:53',
    '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
    'CoreDNS-{version}',
    'linux/amd64, go1.22.7, a6338e9',
  ],
  'fluent-bit': [
    'Fluent Bit v{version}',
    '* Copyright (C) 2015-2025 The Fluent Bit Authors',
    '* Fluent Bit is a CNCF sub-project under the umbrella of Fluentd',
    '* https://fluentbit.io',
    '',
    '______ _                  _    ______ _ _             ___  _____ ',
    '|  ___| |                | |   | ___ (_) |           /   ||  _  |',
    "| |_  | |_   _  ___ _ __ | |_  | |_/ /_| |_  __   __/ /| || |/' |",
    "|  _| | | | | |/ _ \\ '_ \\| __| | ___ \\ | __| \\ \\ / / /_| ||  /| |",
    '| |   | | |_| |  __/ | | | |_  | |_/ / | |_   \\ V /\\___  |\\ |_/ /',
    '\\_|   |_|\\__,_|\\___|_| |_|\\__| \\____/|_|\\__|   \\_/     |_(_)___/ ',
    '',
    '',
    '[{fluentTime}] [ info] [fluent bit] version={version}, commit=, pid=1',
    '[{fluentTime}] [ info] [storage] ver=1.5.3, type=memory, sync=normal, checksum=off, max_chunks_up=128',
    '[{fluentTime}] [ info] [simd    ] SSE2',
    '[{fluentTime}] [ info] [cmetrics] version=1.0.3',
    '[{fluentTime}] [ info] [ctraces ] version=0.6.6',
    '[{fluentTime}] [ info] [sp] stream processor started',
  ],
  'node-exporter': [
    'time={isoTime} level=INFO source=node_exporter.go:216 msg="Starting node_exporter" version="(version={version}, branch=HEAD, revision=d80ef2c3f5dd8a1e5ee18a1b2e8c3f1c6c6a4f43)"',
    'time={isoTime} level=INFO source=node_exporter.go:217 msg="Build context" build_context="(go=go1.23.7, platform=linux/amd64, user=root@buildkitsandbox, date=20250401-15:19:01, tags=unknown)"',
    'time={isoTime} level=INFO source=node_exporter.go:135 msg="Enabled collectors"',
    'time={isoTime} level=INFO source=tls_config.go:347 msg="Listening on" address=[::]:9100',
    'time={isoTime} level=INFO source=tls_config.go:350 msg="TLS is disabled." http2=false address=[::]:9100',
  ],
  'kube-proxy': [
    'I{klogTime}       1 server_linux.go:69] "Using iptables proxy"',
    'I{klogTime}       1 server.go:1062] "Successfully retrieved node IP(s)" IPs=["{hostIP}"]',
    'I{klogTime}       1 server_linux.go:165] "Using iptables Proxier"',
    'I{klogTime}       1 server.go:872] "Version info" version="v{version}"',
    'I{klogTime}       1 config.go:192] "Starting service config controller"',
    'I{klogTime}       1 shared_informer.go:313] Waiting for caches to sync for service config',
    'I{klogTime}       1 shared_informer.go:320] Caches are synced for service config',
  ],
  'hello-world': [
    '',
    'Hello from Docker!',
    'This message shows that your installation appears to be working correctly.',
    '',
    'To generate this message, Docker took the following steps:',
    ' 1. The Docker client contacted the Docker daemon.',
    ' 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.',
    '    (amd64)',
    ' 3. The Docker daemon created a new container from that image which runs the',
    '    executable that produces the output you are currently reading.',
    ' 4. The Docker daemon streamed that output to the Docker client, which sent it',
    '    to your terminal.',
    '',
    'To try something more ambitious, you can run an Ubuntu container with:',
    ' $ docker run -it ubuntu bash',
    '',
    'Share images, automate workflows, and more with a free Docker ID:',
    ' https://hub.docker.com/',
    '',
    'For more examples and ideas, visit:',
    ' https://docs.docker.com/get-started/',
    '',
  ],
  curl: ["curl: try 'curl --help' or 'curl --manual' for more information"],
  kubectl: [
    'kubectl controls the Kubernetes cluster manager.',
    '',
    ' Find more information at: https://kubernetes.io/docs/reference/kubectl/',
  ],
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The lines of a banner, `@other` lines inlined, placeholders filled. */
export function renderBanner(
  id: string,
  context: BannerContext & { readonly hostIP?: string },
): string[] {
  const template = BANNERS[id];
  if (!template) return [];
  const d = new Date(context.start);
  const Y = d.getUTCFullYear();
  const M = d.getUTCMonth();
  const D = d.getUTCDate();
  const hms = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ms = pad(d.getUTCMilliseconds(), 3);
  const values: Record<string, string> = {
    version: context.version,
    podIP: context.podIP,
    hostIP: context.hostIP ?? context.podIP,
    kernel: context.kernel,
    nginxTime: `${Y}/${pad(M + 1)}/${pad(D)} ${hms}`,
    redisTime: `${pad(D)} ${MONTHS[M]} ${Y} ${hms}.${ms}`,
    httpdTime: `${DAYS[d.getUTCDay()]} ${MONTHS[M]} ${pad(D)} ${hms}.${ms}412 ${Y}`,
    pgTime: `${Y}-${pad(M + 1)}-${pad(D)} ${hms}.${ms} UTC`,
    mysqlTime: `${Y}-${pad(M + 1)}-${pad(D)} ${hms}+00:00`,
    mysqlIso: `${Y}-${pad(M + 1)}-${pad(D)}T${hms}.${ms}512Z`,
    fluentTime: `${Y}/${pad(M + 1)}/${pad(D)} ${hms}`,
    isoTime: `${Y}-${pad(M + 1)}-${pad(D)}T${hms}.${ms}Z`,
    klogTime: `${pad(M + 1)}${pad(D)} ${hms}.${ms}217`,
  };
  const out: string[] = [];
  for (const line of template) {
    if (line.startsWith('@')) {
      out.push(...renderBanner(line.slice(1), context));
      continue;
    }
    out.push(line.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole));
  }
  return out;
}
