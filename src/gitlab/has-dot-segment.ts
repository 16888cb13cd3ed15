/**
 * Whether a project path has a part made only of dots. gitbeaker puts the path in the URL encoded but
 * unchecked, and URL resolution takes "." as "here" and ".." as "up": `projects/..` is `GET /api/v4/`.
 */
export const hasDotSegment = (path: string) => path.split("/").some((part) => /^\.+$/.test(part));
