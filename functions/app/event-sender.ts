import { type DeploymentChange, foreignDeployment } from '../domain/decode/deployment-event';
import type { Signal } from '../domain/decode/events';
import { ForeignAccountError } from '../domain/errors';
import { describeOwners, ownershipOf, targetOfSender } from '../domain/identity/owners';
import type { Ports } from '../ports/ports';

/**
 * Checks the account an EventBridge event comes from. This account's own events, and those an
 * allowed owner account sent to this account's bus (a rotation of a secret it shares), go on; the
 * owner's secret named by name alone is read in the owner's account. An event of any other
 * account is bad input: logged, counted (`EventsRefused`), and nothing is read or redeployed.
 * (The bus policy lets only allowed owners put events; this holds also for an event forwarded or
 * handed to the CLI by other means.)
 */
export async function fromAllowedSender(ports: Pick<Ports, 'accountId' | 'config' | 'log' | 'metrics'>, signal: Signal): Promise<Signal> {
  const sender = signal.trigger.account;
  if (sender === undefined) return signal;
  const self = await ports.accountId();
  if (sender === self) return signal;
  try {
    if (ownershipOf(sender, self, ports.config.secretOwners) === 'not-allowed') {
      throw new ForeignAccountError(
        `event from account ${sender}, which is neither this account (${self}) nor an allowed owner (${describeOwners(ports.config.secretOwners)})`,
      );
    }
    if (!signal.target) return signal;
    const target = targetOfSender(signal.target, sender, ports.config.region);
    return target ? { ...signal, target } : signal;
  } catch (error) {
    ports.metrics.add('EventsRefused', 1);
    ports.log.warn('event refused', { account: sender, eventId: signal.trigger.eventId, reason: (error as Error).message });
    throw error;
  }
}

/**
 * Checks that an ECS deployment event is this account's, about a service of this account and
 * region, before it may release or halt a wave, or re-index a service. Any other is bad input,
 * refused as an event of a disallowed account is: logged, counted (`EventsRefused`), thrown.
 */
export async function deploymentOfThisAccount(
  ports: Pick<Ports, 'accountId' | 'config' | 'log' | 'metrics'>,
  change: DeploymentChange,
  eventId?: string,
): Promise<void> {
  const foreign = foreignDeployment(change, { account: await ports.accountId(), region: ports.config.region });
  if (!foreign) return;
  ports.metrics.add('EventsRefused', 1);
  ports.log.warn('event refused', { account: change.account, eventId, reason: foreign });
  throw new ForeignAccountError(foreign);
}
