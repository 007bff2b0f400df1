// Compiled with `tsc --noEmit --strict` against the types openapi-typescript generates from
// /api/schema/ (tests/integration/test_generated_clients.py). It fails to compile when the
// schema stops describing what a client relies on.
import type { components, operations, paths } from "./types";

type Schemas = components["schemas"];
type ClaimDetail = Schemas["ClaimDetail"];
type ErrorBody = Schemas["Error"];

export const created: paths["/api/v1/claims/"]["post"]["responses"][201]["content"]["application/json"] | null = null;

export function nextDeadline(claim: ClaimDetail): string {
  // deadline is a nullable object: strict mode makes the null check necessary.
  if (claim.deadline === null) {
    return "none";
  }
  const kind: Schemas["DeadlineKindEnum"] = claim.deadline.kind;
  return `${kind} at ${claim.deadline.due_at}${claim.deadline.passed ? " (passed)" : ""}`;
}

export function canApprove(claim: ClaimDetail): boolean {
  const actions: Schemas["AvailableActionsEnum"][] = claim.available_actions;
  return actions.includes("approve") && claim.status === "under_review";
}

export function firstErrorCode(body: ErrorBody): Schemas["ErrorItem"]["code"] | undefined {
  const item = body.errors[0];
  return item === undefined ? undefined : item.code;
}

export const stale: operations["claims_partial_update"]["responses"][412]["content"]["application/json"]["errors"][number]["code"] =
  "precondition_failed";

export const createBody: Schemas["ClaimCreateRequest"] = {
  name: "Contoso Sales rollout",
  customer_tenant_id: "7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d",
  solution_area: "business_applications",
  activity: "usage",
  products: [{ product: "d365_sales", subscription_id: "11111111-1111-4111-8111-111111111111" }],
  partner_contact: { name: "Alex Wilber", email: "alex.wilber@fabrikam.example" },
};

export type ClaimPage = operations["claims_list"]["responses"][200]["content"]["application/json"];
export function names(page: ClaimPage): string[] {
  return page.results.map((claim) => claim.name);
}

export type IfMatch = NonNullable<operations["claims_submit"]["parameters"]["header"]>["If-Match"];
