import fc from 'fast-check';
import { withLockTimeout } from '../../scripts/ops/engine';
import { primaryIpAddress, stateIds } from '../../scripts/ops/orphans';
import {
  DEFAULT_DEADLINE_MINUTES,
  forceUnlockCommand,
  parseLockInfo,
  runLimitsFromEnv,
  secondsLeft,
  staleLockDecision,
  StateLockedError,
} from '../../scripts/ops/run-limits';

/** What OpenTofu 1.12.6 printed for a held lock (captured from a real run). */
const LOCKED = `
Error: Error acquiring the state lock

Error message: resource temporarily unavailable
Lock Info:
  ID:        b3ce52b3-2c7f-5b49-a856-3506e77bb146
  Path:      terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@vm
  Version:   1.12.6
  Created:   2026-12-02 20:13:35.382329096 +0000 UTC
  Info:


OpenTofu acquires a state lock to protect the state from being written
by multiple users at the same time.`;

describe('parseLockInfo', () => {
  test('reads the engine Lock Info block, the time included', () => {
    expect(parseLockInfo(LOCKED)).toEqual({
      id: 'b3ce52b3-2c7f-5b49-a856-3506e77bb146',
      path: 'terraform.tfstate',
      operation: 'OperationTypeApply',
      who: 'root@vm',
      version: '1.12.6',
      created: Date.parse('2026-12-02T20:13:35.382Z'),
    });
  });

  test('any zone offset of the Created time', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: -12, max: 14 }),
        (d, hours) => {
          const local = new Date(d.getTime() + hours * 3600_000).toISOString();
          const sign = hours < 0 ? '-' : '+';
          const off = `${sign}${String(Math.abs(hours)).padStart(2, '0')}00`;
          const text = LOCKED.replace(
            /Created: .*/,
            `Created:   ${local.slice(0, 10)} ${local.slice(11, 23)}000 ${off} X`,
          );
          expect(parseLockInfo(text)?.created).toBe(Math.floor(d.getTime()));
        },
      ),
    );
  });

  test('other failures are not lock failures', () => {
    expect(parseLockInfo('Error: uniqueness_error')).toBeUndefined();
    expect(parseLockInfo('Error acquiring the state lock\n(no info)')).toBeUndefined();
  });
});

describe('staleLockDecision', () => {
  const info = parseLockInfo(LOCKED)!;
  const created = info.created!;

  test('clears only a lock older than the longest run, and only where no other run can be going on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 7200 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.boolean(),
        (maxRunSeconds, ageSeconds, clearStaleLocks) => {
          const d = staleLockDecision(info, { maxRunSeconds, clearStaleLocks }, created + ageSeconds * 1000);
          expect(d.clear).toBe(clearStaleLocks && ageSeconds > maxRunSeconds);
          expect(d.reason).toContain(info.id);
        },
      ),
    );
  });

  test('a lock of unknown age stays', () => {
    expect(staleLockDecision({ id: 'x' }, { maxRunSeconds: 1, clearStaleLocks: true }).clear).toBe(false);
  });

  test('the error names the holder and the exact command', () => {
    const e = new StateLockedError('dev', info, 'held by root@vm');
    expect(e.message).toContain(forceUnlockCommand('dev', info.id));
    expect(forceUnlockCommand('dev', info.id)).toBe(`npm run tf -- dev force-unlock -force ${info.id}`);
  });
});

describe('runLimitsFromEnv', () => {
  test('defaults: a deadline below the job timeout, a lock timeout, no clearing', () => {
    const l = runLimitsFromEnv({}, 0);
    expect(l.deadline).toBe(DEFAULT_DEADLINE_MINUTES * 60_000);
    expect(l.maxRunSeconds * 1000).toBeGreaterThan(l.deadline);
    expect(l.clearStaleLocks).toBe(false);
    expect(secondsLeft(l, l.deadline - 5000)).toBe(5);
    expect(secondsLeft(l, l.deadline + 5000)).toBe(0);
  });

  test.each([
    [{ OPS_DEADLINE_MINUTES: 'soon' }, /OPS_DEADLINE_MINUTES must be a positive number, got 'soon'/],
    [{ OPS_LOCK_TIMEOUT_SECONDS: '-1' }, /OPS_LOCK_TIMEOUT_SECONDS must be a positive number/],
    [{ OPS_CLEAR_STALE_LOCKS: 'yes' }, /OPS_CLEAR_STALE_LOCKS must be 1 or 0, got 'yes'/],
    [{ OPS_DEADLINE_MINUTES: '70', OPS_MAX_RUN_MINUTES: '60' }, /must not exceed OPS_MAX_RUN_MINUTES/],
  ])('%j is refused naming the value', (env, message) => {
    expect(() => runLimitsFromEnv(env)).toThrow(message);
  });
});

describe('withLockTimeout', () => {
  test('after the command, or the state subcommand, of commands that lock', () => {
    expect(withLockTimeout(['apply', '-auto-approve'], 120)).toEqual([
      'apply',
      '-lock-timeout=120s',
      '-auto-approve',
    ]);
    expect(withLockTimeout(['state', 'rm', 'a.b'], 5)).toEqual(['state', 'rm', '-lock-timeout=5s', 'a.b']);
    expect(withLockTimeout(['output', '-json'], 5)).toEqual(['output', '-json']);
    expect(withLockTimeout(['show', '-json'], 5)).toEqual(['show', '-json']);
    expect(withLockTimeout(['apply', '-lock-timeout=1s'], 5)).toEqual(['apply', '-lock-timeout=1s']);
  });
});

describe('orphans: reading the state', () => {
  test('ids by type from show -json; data sources and empty states hold none', () => {
    const show = {
      values: {
        root_module: {
          resources: [
            { address: 'hcloud_server.a', mode: 'managed', type: 'hcloud_server', values: { id: '12' } },
            { address: 'hcloud_server.b', mode: 'managed', type: 'hcloud_server', values: { id: 13 } },
            {
              address: 'data.hcloud_primary_ip.x',
              mode: 'data',
              type: 'hcloud_primary_ip',
              values: { id: 9 },
            },
          ],
        },
      },
    };
    expect(stateIds(show)).toEqual(new Map([['hcloud_server', new Set(['12', '13'])]]));
    expect(stateIds({ format_version: '1.0' })).toEqual(new Map());
    expect(stateIds(null)).toEqual(new Map());
  });

  test('the Primary IP address by its name in the synthesized stack', () => {
    const stack = { resource: { hcloud_primary_ip: { cp_ip: { name: 'trading-dev-control-plane-ipv4' } } } };
    expect(primaryIpAddress(stack, 'trading-dev-control-plane-ipv4')).toBe('hcloud_primary_ip.cp_ip');
    expect(primaryIpAddress(stack, 'other')).toBeUndefined();
  });
});
