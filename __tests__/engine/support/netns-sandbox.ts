/**
 * A sandbox of Linux network namespaces in which the node scripts run for real: each
 * simulated server is a network namespace plus a private mount namespace whose `/etc`,
 * `/root` and `/usr/local` are copy-on-write overlays (on a tmpfs that vanishes with it)
 * and whose `/run` is empty, so the scripts write their production paths without touching
 * the machine and never reach its systemd, D-Bus or networkd. Needs root (or `sudo -n`).
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as YAML from 'yaml';
import { writeFileContent } from '../../../templates/cloud-init';

/** The commands the sandbox and the scripts need, with the Debian package of each. */
export const SANDBOX_TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  iptables: 'iptables',
  sysctl: 'procps',
  curl: 'curl',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  networkctl: 'systemd',
  'dbus-daemon': 'dbus',
};

/** Where Debian and Ubuntu install systemd-networkd (not on the PATH). */
export const NETWORKD_BINARIES = ['/usr/lib/systemd/systemd-networkd', '/lib/systemd/systemd-networkd'];

/** How to get the tools, for skip and failure messages. */
export const SANDBOX_INSTALL_HINT =
  'run `npm run setup` as root, or `sudo apt-get install -y iproute2 iptables procps curl util-linux systemd dbus`';

/** PATH of a systemd service, which is what the scripts get on a node. */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PRIVILEGE: readonly string[] = process.getuid?.() === 0 ? [] : ['sudo', '-n'];

function succeeds(command: readonly string[]): boolean {
  return spawnSync(command[0], command.slice(1), { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** What is missing for the sandbox: privileges, namespaces or tools. Empty when it can run. */
export function missingSandboxTools(): string[] {
  if (PRIVILEGE.length > 0 && !succeeds(['sudo', '-n', 'true'])) return ['root (or passwordless sudo)'];
  const onPath = (tool: string) => succeeds(['sh', '-c', `PATH="$PATH:${SERVICE_PATH}" command -v ${tool}`]);
  const missing = Object.keys(SANDBOX_TOOLS).filter((tool) => !onPath(tool));
  if (!NETWORKD_BINARIES.some((path) => succeeds(['test', '-x', path]))) missing.push('systemd-networkd');
  if (missing.length === 0 && !succeeds([...PRIVILEGE, 'unshare', '--net', '--mount', 'true'])) {
    missing.push('permission to create network and mount namespaces');
  }
  return missing;
}

/** Exit code and output of a finished command. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Text written to the command's standard input. @default - none */
  readonly input?: string;
  /** Kill the command after this long. @default 60_000 */
  readonly timeoutMs?: number;
}

/** Runs a command (as root) with the PATH of a systemd service; never throws on a non-zero exit. */
export function run(command: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const argv = [...PRIVILEGE, 'env', '-i', `PATH=${SERVICE_PATH}`, 'LANG=C.UTF-8', ...command];
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0],
      argv.slice(1),
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: unknown; killed?: boolean }) | null;
        if (e && typeof e.code !== 'number') {
          reject(new Error(`${command.join(' ')}: ${e.killed ? 'timed out' : e.message}\n${stderr}`));
          return;
        }
        resolve({ code: e ? (e.code as number) : 0, stdout, stderr });
      },
    );
    // A command that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs a command and returns its standard output; throws with the output when it fails. */
export async function check(command: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, options);
  if (result.code !== 0) {
    throw new Error(`${command.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** A long-running process of the sandbox and the lines it printed so far. */
export interface Daemon {
  readonly process: ChildProcess;
  readonly lines: string[];
}

/** Starts a long-running command; resolves once it prints a line matching `ready`. */
function startDaemon(command: readonly string[], ready: RegExp, timeoutMs = 15_000): Promise<Daemon> {
  const argv = [...PRIVILEGE, ...command];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} not ready after ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of chunk
        .toString()
        .split('\n')
        .filter((l) => l !== '')) {
        lines.push(line);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve({ process: child, lines });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')} exited ${code} before it was ready:\n${lines.join('\n')}`));
    });
  });
}

/**
 * A tiny HTTP server for node's own JavaScript engine: answers with the caller's address
 * (a stand-in for the internet or the metadata service) or with a file's content (a
 * stand-in for the k3s installer download), failing the first `failFirst` requests with
 * 503. Prints one JSON line per request and exits by itself after ten minutes.
 */
const STAND_IN_SERVER = `
const http = require('http');
const fs = require('fs');
const o = JSON.parse(process.env.STAND_IN);
let n = 0;
http.createServer((req, res) => {
  n += 1;
  const status = n <= o.failFirst ? 503 : 200;
  console.log(JSON.stringify({ n, path: req.url, from: req.socket.remoteAddress, status }));
  res.writeHead(status);
  res.end(status !== 200 ? 'unavailable\\n' : o.file ? fs.readFileSync(o.file) : req.socket.remoteAddress + '\\n');
}).listen(o.port, o.host, () => console.log('listening on ' + o.host + ':' + o.port));
setTimeout(() => process.exit(0), 600000);
`;

/** One request a stand-in server received. */
export interface StandInRequest {
  readonly n: number;
  readonly path: string;
  readonly from: string;
  readonly status: number;
}

/** A stand-in HTTP server inside a namespace. */
export class StandInServer {
  constructor(private readonly daemon: Daemon) {}

  /** The requests received so far, in order. */
  get requests(): StandInRequest[] {
    return this.daemon.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as StandInRequest);
  }
}

/** Options of {@link Sandbox.server}. */
export interface StandInOptions {
  readonly host: string;
  readonly port: number;
  /** Answer the first this many requests with 503. @default 0 */
  readonly failFirst?: number;
  /** Serve this file (a path inside the namespace's mount namespace) instead of the caller's address. */
  readonly file?: string;
}

const OVERLAID_DIRS = ['/etc', '/root', '/usr/local'];

/**
 * A simulated server: a network namespace, and a mount namespace held open by a
 * sleeping process, with overlays over {@link OVERLAID_DIRS} and an empty `/run`.
 */
export class SandboxNode {
  constructor(
    /** Name of the network namespace (`ip netns`). */
    readonly netns: string,
    private readonly holderPid: number,
  ) {}

  /** A command inside this node's network and mount namespaces. */
  command(command: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.holderPid), '-m', '-n', '--', ...command];
  }

  /** Runs a command on this node. */
  run(command: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(this.command(command), options);
  }

  /** Runs a command on this node; throws with its output when it fails. */
  check(command: readonly string[], options?: RunOptions): Promise<string> {
    return check(this.command(command), options);
  }

  /** Runs a shell script on this node; throws with its output when it fails. */
  sh(script: string, options?: RunOptions): Promise<string> {
    return this.check(['sh', '-euc', script], options);
  }

  /** Writes a file on this node (inside its overlays). */
  async writeFile(path: string, content: string, mode = '0644'): Promise<void> {
    await this.check(
      ['sh', '-euc', 'mkdir -p "$(dirname "$1")"; cat >"$1"; chmod "$2" "$1"', 'sh', path, mode],
      {
        input: content,
      },
    );
  }

  /** A file's content on this node, or undefined when it does not exist. */
  async readFile(path: string): Promise<string | undefined> {
    const result = await this.run(['cat', path]);
    return result.code === 0 ? result.stdout : undefined;
  }

  /**
   * Writes every `write_files` entry of cloud-init user data, as cloud-init would, and
   * returns the file contents by path.
   */
  async writeUserData(userData: string): Promise<Record<string, string>> {
    const doc = YAML.parse(userData) as {
      write_files: { path: string; content: string; permissions: string; encoding?: string }[];
    };
    const files: Record<string, string> = {};
    for (const f of doc.write_files) {
      if (!OVERLAID_DIRS.some((dir) => f.path.startsWith(`${dir}/`))) {
        throw new Error(`the sandbox cannot write ${f.path}: only ${OVERLAID_DIRS.join(', ')} are overlaid`);
      }
      const content = writeFileContent(f);
      await this.writeFile(f.path, content, f.permissions);
      files[f.path] = content;
    }
    return files;
  }
}

/** Addresses of one end of a veth pair. */
export interface LinkEnd {
  /** A node or a plain namespace name. */
  readonly ns: SandboxNode | string;
  /** Interface name in that namespace (at most 15 characters). */
  readonly name: string;
  /** Addresses in CIDR form, e.g. `10.0.1.20/32`. @default [] */
  readonly addresses?: readonly string[];
}

/** Network namespaces, nodes and servers of one test file; {@link cleanup} removes them all. */
export class Sandbox {
  private readonly namespaces: string[] = [];
  private readonly daemons: ChildProcess[] = [];
  private readonly dirs: string[] = [];
  private count = 0;

  /** @param prefix short prefix of every namespace name, unique per test file */
  constructor(private readonly prefix: string) {}

  /** A plain network namespace with loopback up; returns its name. */
  async namespace(name: string): Promise<string> {
    const netns = `${this.prefix}-${name}-${process.pid}-${this.count++}`;
    await check(['ip', 'netns', 'add', netns]);
    this.namespaces.push(netns);
    await check(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    return netns;
  }

  /** A simulated server (see {@link SandboxNode}) with a regular, empty /etc/resolv.conf. */
  async node(name: string): Promise<SandboxNode> {
    const netns = await this.namespace(name);
    const base = mkdtempSync(join(tmpdir(), 'k3s-sandbox-'));
    this.dirs.push(base);
    const overlays = OVERLAID_DIRS.map(
      (dir, i) =>
        `mkdir -p ${base}/${i}/up ${base}/${i}/work && ` +
        `mount -t overlay overlay -o lowerdir=${dir},upperdir=${base}/${i}/up,workdir=${base}/${i}/work ${dir}`,
    );
    const setup = [
      'set -eu',
      `mount -t tmpfs tmpfs ${base}`,
      ...overlays,
      // No host state: an empty /run hides the machine's systemd, D-Bus and networkd.
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/dbus /run/systemd/network',
      // Only the sandbox's own networkd configuration.
      'mount -t tmpfs tmpfs /etc/systemd/network 2>/dev/null || { mkdir -p /etc/systemd/network; mount -t tmpfs tmpfs /etc/systemd/network; }',
      'for d in /usr/lib/systemd/network /lib/systemd/network; do [ ! -d "$d" ] || mount -t tmpfs tmpfs "$d"; done',
      // Without udev, networkd waits for it unless /sys is read-only (as in a container).
      'mount -o remount,bind,ro /sys',
      'rm -f /etc/resolv.conf && : >/etc/resolv.conf',
      'echo "ready $$"',
      'exec sleep 900',
    ].join('\n');
    const holder = await startDaemon(
      ['ip', 'netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', setup],
      /^ready \d+$/,
    );
    this.daemons.push(holder.process);
    const pid = Number(/^ready (\d+)$/.exec(holder.lines.find((l) => l.startsWith('ready'))!)![1]);
    return new SandboxNode(netns, pid);
  }

  /** Connects two namespaces with a veth pair (never in the machine's own), ends up, addresses added. */
  async link(a: LinkEnd, b: LinkEnd): Promise<void> {
    const nsName = (end: LinkEnd) => (typeof end.ns === 'string' ? end.ns : end.ns.netns);
    await check([
      'ip',
      'link',
      'add',
      a.name,
      'netns',
      nsName(a),
      'type',
      'veth',
      'peer',
      'name',
      b.name,
      'netns',
      nsName(b),
    ]);
    for (const end of [a, b]) {
      for (const address of end.addresses ?? []) {
        await check(['ip', '-n', nsName(end), 'addr', 'add', address, 'dev', end.name]);
      }
      await check(['ip', '-n', nsName(end), 'link', 'set', end.name, 'up']);
    }
  }

  /** Runs a command in a plain namespace. */
  inNamespace(netns: string, command: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', netns, ...command], options);
  }

  /** Runs a shell script in a plain namespace or on a node; throws with its output when it fails. */
  async sh(where: SandboxNode | string, script: string): Promise<string> {
    if (typeof where !== 'string') return where.sh(script);
    return check(['ip', 'netns', 'exec', where, 'sh', '-euc', script]);
  }

  /** Starts a long-running command on a node, resolving when a line matches `ready`. */
  async daemon(node: SandboxNode, command: readonly string[], ready: RegExp): Promise<Daemon> {
    const daemon = await startDaemon(node.command(command), ready);
    this.daemons.push(daemon.process);
    return daemon;
  }

  /** Stops a daemon with SIGTERM and waits (bounded) until it has exited. */
  async stop(daemon: Daemon): Promise<void> {
    const child = daemon.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Starts a stand-in HTTP server (see {@link STAND_IN_SERVER}) in a namespace or on a node. */
  async server(where: SandboxNode | string, options: StandInOptions): Promise<StandInServer> {
    const config = JSON.stringify({ failFirst: 0, ...options });
    const command = ['env', `STAND_IN=${config}`, process.execPath, '-e', STAND_IN_SERVER];
    const argv =
      typeof where === 'string' ? ['ip', 'netns', 'exec', where, ...command] : where.command(command);
    const daemon = await startDaemon(argv, /^listening on /);
    this.daemons.push(daemon.process);
    return new StandInServer(daemon);
  }

  /** Stops every process and removes every namespace and directory of this sandbox. */
  async cleanup(): Promise<void> {
    for (const netns of this.namespaces) {
      const pids = await run(['ip', 'netns', 'pids', netns]).catch(() => ({ stdout: '' }));
      const ids = pids.stdout.split('\n').filter((p) => /^\d+$/.test(p));
      if (ids.length > 0) await run(['kill', '-KILL', ...ids]).catch(() => undefined);
    }
    for (const child of this.daemons) child.kill('SIGKILL');
    for (const netns of this.namespaces.splice(0)) {
      await run(['ip', 'netns', 'del', netns]).catch(() => undefined);
    }
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
