import { describe, expect, it } from 'vitest';
import type { AppInfo, Contract, Result } from '../../../main/bridge/contract';
import { createBridgeClient } from '../platform/bridge-client';
import { TransportEvents } from '../platform/transport-base';
import { bindBridge } from './bind-bridge';
import type { BridgeStatus } from './connection';

const info: AppInfo = { name: 'Kubelab', version: '1.2.3', mode: 'browser', platform: 'linux' };

function fakeTransport(answer: () => Promise<Result<unknown>>) {
  const events = new TransportEvents('connecting');
  return {
    events,
    transport: {
      get state() {
        return events.state;
      },
      call: answer,
      control: () => undefined,
      onMessage: events.onMessage.bind(events),
      onState: events.onState.bind(events),
      close: () => undefined,
    },
  };
}

function sink() {
  const statuses: BridgeStatus[] = [];
  let appInfo: AppInfo | undefined;
  return {
    statuses,
    appInfo: () => appInfo,
    store: () => ({
      setBridgeStatus: (s: BridgeStatus) => statuses.push(s),
      setAppInfo: (i: AppInfo) => {
        appInfo = i;
        statuses.push('connected');
      },
      setHeartbeat: () => undefined,
    }),
  };
}

describe('bindBridge', () => {
  it('reports connected only after the getInfo round trip returns', async () => {
    let release: (r: Result<unknown>) => void = () => undefined;
    const { events, transport } = fakeTransport(() => new Promise((r) => (release = r)));
    const client = createBridgeClient<Contract>(transport);
    const s = sink();
    bindBridge(client, s.store);
    expect(s.statuses).toEqual(['connecting']);
    events.setState('connected');
    expect(s.statuses).toEqual(['connecting', 'connecting']);
    release({ ok: true, value: info });
    await Promise.resolve();
    expect(s.statuses.at(-1)).toBe('connected');
    expect(s.appInfo()).toEqual(info);
    events.setState('disconnected');
    expect(s.statuses.at(-1)).toBe('disconnected');
  });

  it('stays disconnected when the round trip fails', async () => {
    const { events, transport } = fakeTransport(() =>
      Promise.resolve({ ok: false, error: { code: 'Unavailable', message: 'gone' } }),
    );
    const s = sink();
    bindBridge(createBridgeClient<Contract>(transport), s.store);
    events.setState('connected');
    await Promise.resolve();
    await Promise.resolve();
    expect(s.statuses.at(-1)).toBe('disconnected');
    expect(s.appInfo()).toBeUndefined();
  });
});
