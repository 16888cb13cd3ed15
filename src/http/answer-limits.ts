const MB = 1024 * 1024;

/**
 * The most we read of one answer from GitLab or Bitbucket, per kind of call. The JSON we ask for (a
 * user, a project, a page of pipelines or jobs, a status post's echo) is a few kilobytes; a hostile or
 * broken server answering hundreds of megabytes must not become our memory. A pipeline's test report
 * is larger (10,000 cases with 1,500 stack traces are about 6 MB) but is read as a stream, keeping only
 * the failed cases (gitlab/failed-tests.ts): its cap bounds the time and bandwidth spent, not memory.
 * The failures kept do not bound it (the counts need every case read): at ~320 bytes a passing case,
 * 64 MB is ~200,000 cases, under GitLab's own 500,000 per report on gitlab.com.
 */
export const ANSWER_LIMITS = {
  json: 4 * MB,
  testReport: 64 * MB,
} as const;

/** "4 MB", for messages. */
export const inMegabytes = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10} MB`;
