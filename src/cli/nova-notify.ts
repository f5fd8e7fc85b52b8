/**
 * Nova's external events, wired: a Keystone session for the [nova] user, the notifier, and the
 * change-log observer that turns committed port and floating IP rows into events. Absent (undefined)
 * when no Nova password is configured, as Neutron without [nova] credentials tells Nova nothing.
 */
import type { Logger } from 'pino';
import type { FeedObserver } from '../goalstate/follower.js';
import { ServiceSession } from '../identity/service-session.js';
import { NovaEventSource } from '../notify/nova-events.js';
import { NovaNotifier } from '../notify/nova-notifier.js';
import type { Config } from './config.js';

export interface NovaNotify {
  readonly observer: FeedObserver;
  readonly notifier: NovaNotifier;
  close(): Promise<void>;
}

export function novaNotify(config: Config, logger: Logger): NovaNotify | undefined {
  const n = config.nova;
  if (n.password === '') return undefined;
  const session = new ServiceSession({
    authUrl: n.authUrl || config.keystone.authUrl, username: n.username, password: n.password,
    projectName: n.projectName, userDomainName: n.userDomainName, projectDomainName: n.projectDomainName,
  });
  const notifier = new NovaNotifier({
    session, interface: n.interface, region: n.region || undefined, windowMs: n.sendEventsIntervalMs,
    logger: logger.child({ component: 'nova-notifier' }),
  });
  const source = new NovaEventSource();
  return {
    notifier,
    observer: {
      load: (snapshot) => source.load(snapshot.rows.get('port') ?? [], snapshot.rows.get('floatingip') ?? []),
      apply: (rows) => notifier.queueEvents(source.apply(rows)),
    },
    async close() {
      await notifier.close();
      await session.close();
    },
  };
}
