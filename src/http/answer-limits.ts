const MB = 1024 * 1024;

/**
 * The most we read of one answer from GitLab or Bitbucket, per kind of call. The JSON we ask for (a
 * user, a project, a page of pipelines or jobs, a status post's echo) is a few kilobytes; a hostile or
 * broken server answering hundreds of megabytes must not become our memory. Reports (test reports,
 * artifacts) will get a larger entry of their own here.
 */
export const ANSWER_LIMITS = {
  json: 4 * MB,
} as const;

/** "4 MB", for messages. */
export const inMegabytes = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10} MB`;
