import { Router } from "express";
import { currentUser, paginate } from "../api-helpers";
import type { SimState } from "../sim-state";
import type { SimGroup, SimUser } from "../types";

const avatar = "https://www.gravatar.com/avatar/00000000000000000000000000000000?s=80&d=identicon";

// GET /namespaces lists `User#namespaces`: the user's personal namespace and every group they belong to,
// at any role (Guest included). GET /groups narrows by `min_access_level`.
export function namespaceRoutes(state: SimState): Router {
  const router = Router();

  router.get("/namespaces", (req, res) => {
    const user = currentUser(res);
    const search = typeof req.query.search === "string" ? req.query.search.toLowerCase() : "";
    const ownedOnly = req.query.owned_only === "true";
    const groups = [...state.groups.values()].filter((g) => {
      const level = state.groupLevel(g.fullPath, user);
      return ownedOnly ? level >= 50 : level > 0;
    });
    const all = [personalNamespace(state, user), ...groups.map((g) => groupNamespace(state, g, user))].filter(
      (n) => !search || n.name.toLowerCase().includes(search) || n.full_path.toLowerCase().includes(search),
    );
    res.json(paginate(state, req, res, all));
  });

  router.get("/groups", (req, res) => {
    const user = currentUser(res);
    const minLevel = Number(req.query.min_access_level) || 1;
    const groups = [...state.groups.values()].filter((g) => state.groupLevel(g.fullPath, user) >= minLevel);
    res.json(
      paginate(state, req, res, groups).map((g) => ({
        id: g.id,
        name: g.name,
        path: g.path,
        full_name: g.fullPath.split("/").join(" / "),
        full_path: g.fullPath,
        description: "",
        visibility: "private",
        web_url: `${state.baseUrl}/groups/${g.fullPath}`,
        avatar_url: null,
        parent_id: g.parentId,
        project_creation_level: "developer",
        subgroup_creation_level: "maintainer",
        created_at: state.startedAt,
      })),
    );
  });

  return router;
}

function personalNamespace(state: SimState, user: SimUser) {
  return {
    id: state.userNamespaceId(user),
    name: user.name,
    path: user.username,
    kind: "user" as const,
    full_path: user.username,
    parent_id: null,
    avatar_url: avatar,
    web_url: `${state.baseUrl}/${user.username}`,
    billable_members_count: 1,
    plan: state.personalPremium ? "premium" : "free",
    trial_ends_on: null,
    trial: false,
  };
}

// `plan` and member counts are shown to the group's Maintainers and Owners only.
function groupNamespace(state: SimState, g: SimGroup, user: SimUser) {
  const manager = state.groupLevel(g.fullPath, user) >= 40;
  return {
    id: g.id,
    name: g.name,
    path: g.path,
    kind: "group" as const,
    full_path: g.fullPath,
    parent_id: g.parentId,
    avatar_url: null,
    web_url: `${state.baseUrl}/groups/${g.fullPath}`,
    ...(manager && {
      members_count_with_descendants: 1,
      billable_members_count: 1,
      plan: topLevel(state, g).premium ? "premium" : "free",
      trial_ends_on: null,
      trial: false,
    }),
  };
}

export function topLevel(state: SimState, g: SimGroup): SimGroup {
  return state.groupByPath(g.fullPath.split("/")[0]!) ?? g;
}
