import { randomUUID } from "node:crypto";
import { DataTypes, type Model, type ModelStatic, type Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";
import type { SecretBox } from "../security/secret-box";

export type StatusMode = "pipeline" | "jobs" | "both";
/** Whose GitLab token a link uses: one given for this repository, or the workspace's default. */
export type TokenSource = "repository" | "workspace";

/** What GitLab last told us about the pull mirror, kept so the settings page can say what happened. */
export interface MirrorState {
  checkedAt: string;
  updateStatus: string | null;
  lastError: string | null;
  lastSuccessfulUpdateAt: string | null;
  triggerError?: string | null;
  /**
   * Why the app does not ask GitLab to update this mirror: the token cannot (a Reporter's or Developer's,
   * or GitLab answered 403). Pushes then queue no trigger; GitLab updates the mirror on its own schedule.
   */
  triggerBlocked?: string | null;
}

/** How pushes reach GitLab: the app pushes the refs itself, or asks GitLab's pull mirror to update. */
export type SyncMode = "push" | "mirror";

/** The outcome of the latest push sync, for the settings page and `GET …/link`. */
export interface LastSync {
  at: string;
  durationMs: number;
  /** Refs created or moved in GitLab, short names (`main`, `v1.0`). */
  pushed: string[];
  deleted: string[];
  /** Refs a pipeline was created for. */
  pipelines: string[];
  /** What went wrong, in plain words; null when the sync went through. */
  error: string | null;
  /**
   * What started it: a push event (Bitbucket's repo:push or Forge's push trigger), the catch-up sweep
   * (GitLab's refs differed from Bitbucket's with no push event waiting), or "Sync now". Absent on older rows.
   */
  via?: SyncTrigger;
  /** When a sweep last had to push what no push event had asked for: Bitbucket's push events are going missing. */
  missedPushAt?: string | null;
}

export type SyncTrigger = "push" | "sweep" | "manual";

/** A Bitbucket repository linked to one GitLab project. `token` and `webhookSecret` are plain here, sealed at rest. */
export interface Link {
  id: string;
  clientKey: string;
  repoUuid: string;
  repoFullName: string | null;
  gitlabUrl: string;
  projectId: number;
  projectPath: string;
  projectWebUrl: string;
  token: string;
  tokenHint: string;
  webhookSecret: string;
  webhookId: number | null;
  statusMode: StatusMode;
  mirrorState: MirrorState | null;
  /** Epoch ms of the last authenticated GitLab hook delivery (written at most once a minute). */
  webhookLastReceivedAt: number | null;
  /** Epoch ms when reconciliation found a pipeline result no hook had told us about. */
  webhookMissedAt: number | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** "workspace": the token is the workspace's default, and follows it when a workspace admin changes it. */
  tokenSource: TokenSource;
  /** The app created the GitLab project, so it keeps the pull mirror's Bitbucket credentials fresh. */
  managesMirror: boolean;
  /** Publish GitLab's test, coverage and findings reports as Code Insights (on by default). */
  reports: boolean;
  sync: SyncMode;
  lastSync: LastSync | null;
  /** Merge-result pipelines for the repository's pull requests (push-sync links; on by default). */
  pullRequestPipelines: boolean;
  /** Pull requests from forks in the same workspace run too (off by default). */
  pullRequestForks: boolean;
}

export type NewLink = Omit<
  Link,
  | "id"
  | "tokenHint"
  | "mirrorState"
  | "webhookLastReceivedAt"
  | "webhookMissedAt"
  | "createdAt"
  | "updatedAt"
  | "tokenSource"
  | "managesMirror"
  | "reports"
  | "sync"
  | "lastSync"
  | "pullRequestPipelines"
  | "pullRequestForks"
> &
  Partial<Pick<Link, "tokenSource" | "managesMirror" | "reports" | "sync" | "pullRequestPipelines" | "pullRequestForks">>;

type Row = Omit<Link, "mirrorState" | "lastSync"> & { mirrorState: string | null; lastSync: string | null };

export class Links {
  private readonly model: ModelStatic<Model<Row, Row>>;

  constructor(
    sequelize: Sequelize,
    private readonly box: SecretBox,
  ) {
    this.model = sequelize.define<Model<Row, Row>>(
      "link",
      {
        id: { type: DataTypes.STRING, primaryKey: true },
        clientKey: DataTypes.STRING,
        repoUuid: DataTypes.STRING,
        repoFullName: DataTypes.STRING,
        gitlabUrl: DataTypes.STRING,
        projectId: DataTypes.INTEGER,
        projectPath: DataTypes.STRING,
        projectWebUrl: DataTypes.STRING,
        token: DataTypes.TEXT,
        tokenHint: DataTypes.STRING,
        webhookSecret: DataTypes.TEXT,
        webhookId: DataTypes.INTEGER,
        statusMode: DataTypes.STRING,
        mirrorState: DataTypes.TEXT,
        webhookLastReceivedAt: DataTypes.BIGINT,
        webhookMissedAt: DataTypes.BIGINT,
        createdBy: DataTypes.STRING,
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
        tokenSource: DataTypes.STRING,
        managesMirror: DataTypes.BOOLEAN,
        reports: DataTypes.BOOLEAN,
        sync: DataTypes.STRING,
        lastSync: DataTypes.TEXT,
        pullRequestPipelines: DataTypes.BOOLEAN,
        pullRequestForks: DataTypes.BOOLEAN,
      },
      { tableName: "links", underscored: true, timestamps: false },
    );
  }

  async forRepository(clientKey: string, repoUuid: string): Promise<Link | null> {
    return this.open((await this.model.findOne({ where: { clientKey, repoUuid } }))?.get({ plain: true }) ?? null);
  }

  /**
   * The id and sync mode of the repository's link, and whether its token may trigger the pull mirror,
   * without opening its secrets: all a push needs to queue work.
   */
  async intakeFor(
    clientKey: string,
    repoUuid: string,
  ): Promise<{ id: string; sync: SyncMode; mirrorTriggerBlocked: boolean } | null> {
    const [row] = await DirectSql.for(this.model.sequelize!).query<{ id: string; sync: string; mirror_state: string | null }>(
      "SELECT id, sync, mirror_state FROM links WHERE client_key = ? AND repo_uuid = ?",
      [clientKey, repoUuid],
    );
    if (!row) return null;
    const state = row.mirror_state ? (JSON.parse(row.mirror_state) as MirrorState) : null;
    return { id: row.id, sync: row.sync === "push" ? "push" : "mirror", mirrorTriggerBlocked: !!state?.triggerBlocked };
  }

  /** The Connect tenant a Forge installation adopted the link from (src/forge/adopt-connect-links.ts), if any. */
  async adoptedFrom(id: string): Promise<string | null> {
    const [row] = await DirectSql.for(this.model.sequelize!).query<{ adopted_from: string | null }>(
      "SELECT adopted_from FROM links WHERE id = ?",
      [id],
    );
    return row?.adopted_from ?? null;
  }

  async byId(id: string): Promise<Link | null> {
    return this.open((await this.model.findByPk(id))?.get({ plain: true }) ?? null);
  }

  /** Links the repository, replacing any earlier link of it (its id, and so its webhook URL, stays). */
  async save(link: NewLink & { id?: string }): Promise<Link> {
    const now = new Date();
    const existing =
      (await this.model.findOne({ where: { clientKey: link.clientKey, repoUuid: link.repoUuid } }))?.get({ plain: true }) ?? null;
    const row: Row = {
      ...link,
      id: existing?.id ?? link.id ?? randomUUID(),
      token: this.box.seal(link.token),
      tokenHint: link.token.slice(-4),
      webhookSecret: this.box.seal(link.webhookSecret),
      mirrorState: existing?.mirrorState ?? null,
      webhookLastReceivedAt: existing?.webhookLastReceivedAt ?? null,
      webhookMissedAt: null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      tokenSource: link.tokenSource ?? "repository",
      managesMirror: link.managesMirror ?? false,
      // A PUT that leaves the switch out keeps the link's choice.
      reports: link.reports ?? existing?.reports ?? true,
      sync: link.sync ?? existing?.sync ?? "mirror",
      lastSync: existing?.lastSync ?? null,
      pullRequestPipelines: link.pullRequestPipelines ?? existing?.pullRequestPipelines ?? true,
      pullRequestForks: link.pullRequestForks ?? existing?.pullRequestForks ?? false,
    };
    await this.model.upsert(row);
    return (await this.byId(row.id))!;
  }

  async remove(id: string): Promise<void> {
    await this.model.destroy({ where: { id } });
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.model.destroy({ where: { clientKey } });
  }

  async setMirrorState(id: string, state: MirrorState): Promise<void> {
    await this.model.update({ mirrorState: JSON.stringify(state) }, { where: { id } });
  }

  /** A new webhook secret, sealed; the old one stops authenticating GitLab's hooks at once. */
  async setWebhookSecret(id: string, secret: string): Promise<void> {
    await this.model.update({ webhookSecret: this.box.seal(secret) }, { where: { id } });
  }

  /** The webhook secret as stored (sealed), to compare-and-set it (swapWebhookSecret); null without the link. */
  async sealedWebhookSecret(id: string): Promise<string | null> {
    const row = await this.model.findByPk(id, { attributes: ["webhookSecret"] });
    return (row?.get("webhookSecret") as string | undefined) ?? null;
  }

  /** Stores a new webhook secret only if the stored one is still `expectedSealed`; whether it did. */
  async swapWebhookSecret(id: string, expectedSealed: string, secret: string): Promise<boolean> {
    const [changed] = await this.model.update(
      { webhookSecret: this.box.seal(secret) },
      { where: { id, webhookSecret: expectedSealed } },
    );
    return changed > 0;
  }

  async setReports(id: string, reports: boolean): Promise<void> {
    await this.model.update({ reports }, { where: { id } });
  }

  /** Changes the pull-request switches alone (the settings page has no token to send a whole PUT with). */
  async setPullRequestSwitches(
    id: string,
    switches: Partial<Pick<Link, "pullRequestPipelines" | "pullRequestForks">>,
  ): Promise<void> {
    await this.model.update({ ...switches, updatedAt: new Date() }, { where: { id } });
  }

  /** Keeps the repository's path once read from Bitbucket (Forge links are made without it). */
  async setRepoFullName(id: string, repoFullName: string): Promise<void> {
    await this.model.update({ repoFullName }, { where: { id } });
  }

  async setLastSync(id: string, sync: LastSync): Promise<void> {
    await this.model.update({ lastSync: JSON.stringify(sync) }, { where: { id } });
  }

  async allForTenant(clientKey: string): Promise<Link[]> {
    const rows = await this.model.findAll({ where: { clientKey } });
    return rows.map((r) => this.open(r.get({ plain: true }))!);
  }

  /** The GitLab webhook the link registered is gone (removed by the app): re-saving the link registers one again. */
  async forgetWebhook(id: string): Promise<void> {
    await this.model.update({ webhookId: null }, { where: { id } });
  }

  async noteWebhook(id: string, at: number): Promise<void> {
    await this.model.update({ webhookLastReceivedAt: at }, { where: { id } });
  }

  async noteMissedWebhook(id: string, at: number): Promise<void> {
    await this.model.update({ webhookMissedAt: at }, { where: { id } });
  }

  /**
   * Links whose pull mirror the app manages (it created the project and mints the mirror's Bitbucket
   * credentials) and whose mirror was last triggered before `before`, or never.
   */
  async managedMirrorsIdleSince(before: number, limit: number): Promise<Pick<Link, "id" | "clientKey">[]> {
    const rows = await this.model.findAll({
      where: { managesMirror: true },
      attributes: ["id", "clientKey", "mirrorState"],
      limit: 10_000,
    });
    return rows
      .map((r) => r.get({ plain: true }))
      .filter((r) => {
        const checkedAt = r.mirrorState ? Date.parse((JSON.parse(r.mirrorState) as MirrorState).checkedAt) : 0;
        return !(checkedAt >= before);
      })
      .slice(0, limit)
      .map((r) => ({ id: r.id, clientKey: r.clientKey }));
  }

  async countForTenant(clientKey: string): Promise<number> {
    return this.model.count({ where: { clientKey } });
  }

  private open(row: Row | null): Link | null {
    if (!row) return null;
    return {
      ...row,
      createdAt: new Date(row.createdAt),
      updatedAt: new Date(row.updatedAt),
      token: this.box.open(row.token),
      webhookSecret: this.box.open(row.webhookSecret),
      mirrorState: row.mirrorState ? (JSON.parse(row.mirrorState) as MirrorState) : null,
      webhookLastReceivedAt: row.webhookLastReceivedAt == null ? null : Number(row.webhookLastReceivedAt),
      webhookMissedAt: row.webhookMissedAt == null ? null : Number(row.webhookMissedAt),
      tokenSource: row.tokenSource === "workspace" ? "workspace" : "repository",
      managesMirror: Boolean(row.managesMirror),
      reports: row.reports == null ? true : Boolean(row.reports),
      sync: row.sync === "push" ? "push" : "mirror",
      lastSync: row.lastSync ? (JSON.parse(row.lastSync) as LastSync) : null,
      pullRequestPipelines: row.pullRequestPipelines == null ? true : Boolean(row.pullRequestPipelines),
      pullRequestForks: Boolean(row.pullRequestForks),
    };
  }

  /**
   * A workspace admin changed the default token: every link of the tenant on the same GitLab that uses
   * the workspace's token gets the new one (sealed per row). Returns how many links follow it.
   */
  async replaceWorkspaceToken(clientKey: string, gitlabUrl: string, token: string): Promise<number> {
    const rows = await this.model.findAll({ where: { clientKey, gitlabUrl, tokenSource: "workspace" }, attributes: ["id"] });
    for (const row of rows) {
      await this.model.update(
        { token: this.box.seal(token), tokenHint: token.slice(-4) },
        { where: { id: row.get("id") as string } },
      );
    }
    return rows.length;
  }

  /** How many of the tenant's links use the workspace's token. */
  async countUsingWorkspaceToken(clientKey: string): Promise<number> {
    return this.model.count({ where: { clientKey, tokenSource: "workspace" } });
  }
}
