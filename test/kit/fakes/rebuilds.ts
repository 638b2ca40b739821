import type { ListedPage, RebuildLease, RebuildProgress, RebuildStore } from '../../../functions/ports/rebuild-store';

/** The index rebuild in flight, in memory (the state table's REBUILD partition in AWS). */
export class MemoryRebuildStore implements RebuildStore {
  state?: { progress: RebuildProgress; lease: RebuildLease };
  /** `<build id>#<page>` -> the page kept. */
  readonly listed = new Map<string, ListedPage>();
  /** Pages written (a BatchWriteItem each, or more for a large page). */
  pageWrites = 0;
  /** Progress writes (a conditional PutItem each). */
  saves = 0;

  async current(): Promise<{ progress: RebuildProgress; lease: RebuildLease } | undefined> {
    return structuredClone(this.state);
  }

  async save(progress: RebuildProgress, lease: RebuildLease, expected: RebuildLease | undefined): Promise<boolean> {
    this.saves += 1;
    const stored = this.state?.lease;
    if (expected === undefined ? stored !== undefined : stored?.owner !== expected.owner || stored?.until !== expected.until) return false;
    this.state = structuredClone({ progress, lease });
    return true;
  }

  async savePage(buildId: string, page: number, listed: ListedPage): Promise<void> {
    this.pageWrites += 1;
    this.listed.set(`${buildId}#${page}`, structuredClone(listed));
  }

  async pages(buildId: string, pages: number): Promise<ListedPage> {
    const all: ListedPage = { services: [], standaloneTasks: [] };
    for (let page = 0; page < pages; page++) {
      const listed = this.listed.get(`${buildId}#${page}`);
      all.services.push(...structuredClone(listed?.services ?? []));
      all.standaloneTasks.push(...structuredClone(listed?.standaloneTasks ?? []));
    }
    return all;
  }

  async clear(): Promise<void> {
    this.state = undefined;
    this.listed.clear();
  }
}
