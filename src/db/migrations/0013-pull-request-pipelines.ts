import { DataTypes, type QueryInterface } from "sequelize";

// Pull-request pipelines (issue 14): two per-link switches (merge-result pipelines on by default, forks off),
// and the pull requests the app follows: what Bitbucket last said (branches, commits, state) and what the
// app last did for them (the merge commit it pushed, the pipeline it created, or why it made none), so hooks
// and sweeps can map a pipeline on `bitbucket/pr-<id>` back to the pull request's source commit.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("links", "pull_request_pipelines", { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true });
  await qi.addColumn("links", "pull_request_forks", { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await qi.createTable("pull_requests", {
    link_id: {
      type: DataTypes.STRING(36),
      allowNull: false,
      primaryKey: true,
      references: { model: "links", key: "id" },
      onDelete: "CASCADE",
    },
    pr_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    state: { type: DataTypes.STRING(16), allowNull: false },
    source_branch: { type: DataTypes.STRING(255), allowNull: false },
    source_commit: { type: DataTypes.STRING(64), allowNull: true },
    source_repo_uuid: { type: DataTypes.STRING(40), allowNull: true },
    source_repo_full_name: { type: DataTypes.STRING(255), allowNull: true },
    destination_branch: { type: DataTypes.STRING(255), allowNull: false },
    destination_commit: { type: DataTypes.STRING(64), allowNull: true },
    event_at: { type: DataTypes.BIGINT, allowNull: false },
    // What the app did, for the facts above as they were then (`handled` names them).
    handled: { type: DataTypes.STRING(400), allowNull: true },
    source_sha: { type: DataTypes.STRING(64), allowNull: true },
    destination_sha: { type: DataTypes.STRING(64), allowNull: true },
    merge_sha: { type: DataTypes.STRING(64), allowNull: true },
    pipeline_id: { type: DataTypes.BIGINT, allowNull: true },
    outcome: { type: DataTypes.STRING(32), allowNull: true },
    note: { type: DataTypes.TEXT, allowNull: true },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("pull_requests");
  // In place on both databases: removeColumn rebuilds `links` on SQLite, and dropping the old table would
  // cascade into every table that belongs to a link.
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN pull_request_forks");
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN pull_request_pipelines");
}
