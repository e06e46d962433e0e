/**
 * Transitional: the three DynamoDB stores behind the one object the node cache took before it took
 * them apart (`lib/adapters/dynamodb/stores.ts` builds them separately). Goes when the composition
 * root uses `dynamoDbStores`.
 *
 * @example
 * ```ts
 * const store = new DynamoDbNodeStore(documentClient, 'serverless-inspector-node-cache');
 * ```
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbStores } from '#lib/adapters/dynamodb/stores.ts';
import type { LeaseStore } from '#lib/ports/lease-store.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** The node store, lease store and power slots on one table, as one object. */
export class DynamoDbNodeStore implements NodeStore, LeaseStore, PowerSlots {
  readonly #nodes: NodeStore;
  readonly #leases: LeaseStore;
  readonly #powerSlots: PowerSlots;

  constructor(documentClient: DynamoDBDocumentClient, tableName: string) {
    const stores = dynamoDbStores({ documentClient, tableName });
    this.#nodes = stores.nodes;
    this.#leases = stores.leases;
    this.#powerSlots = stores.powerSlots;
  }

  getNode: NodeStore['getNode'] = (...args) => this.#nodes.getNode(...args);
  getLookupAttributes: NodeStore['getLookupAttributes'] = (...args) =>
    this.#nodes.getLookupAttributes(...args);
  getOptions: NodeStore['getOptions'] = (...args) => this.#nodes.getOptions(...args);
  replaceNode: NodeStore['replaceNode'] = (...args) => this.#nodes.replaceNode(...args);
  updateNode: NodeStore['updateNode'] = (...args) => this.#nodes.updateNode(...args);
  finishNode: NodeStore['finishNode'] = (...args) => this.#nodes.finishNode(...args);
  addLookupAttributes: NodeStore['addLookupAttributes'] = (...args) =>
    this.#nodes.addLookupAttributes(...args);
  putOption: NodeStore['putOption'] = (...args) => this.#nodes.putOption(...args);
  deleteNode: NodeStore['deleteNode'] = (...args) => this.#nodes.deleteNode(...args);
  findNodesByLookupAttribute: NodeStore['findNodesByLookupAttribute'] = (...args) =>
    this.#nodes.findNodesByLookupAttribute(...args);
  listLookupAttributeValues: NodeStore['listLookupAttributeValues'] = (...args) =>
    this.#nodes.listLookupAttributeValues(...args);
  listNodes: NodeStore['listNodes'] = (...args) => this.#nodes.listNodes(...args);
  listNodesStartedBefore: NodeStore['listNodesStartedBefore'] = (...args) =>
    this.#nodes.listNodesStartedBefore(...args);
  anyUnfinished: NodeStore['anyUnfinished'] = (...args) => this.#nodes.anyUnfinished(...args);
  listNodeUuids: NodeStore['listNodeUuids'] = (...args) => this.#nodes.listNodeUuids(...args);
  tryAcquireLease: LeaseStore['tryAcquireLease'] = (...args) => this.#leases.tryAcquireLease(...args);
  releaseLease: LeaseStore['releaseLease'] = (...args) => this.#leases.releaseLease(...args);
  reservePowerSlot: PowerSlots['reservePowerSlot'] = (...args) => this.#powerSlots.reservePowerSlot(...args);
}
