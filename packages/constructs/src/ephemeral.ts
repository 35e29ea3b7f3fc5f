/**
 * An `ephemeral` block (Terraform >= 1.10): a value opened at each plan and apply and never
 * written to the plan or the state, e.g. `aws_secretsmanager_random_password`, whose result can
 * only flow into write-only arguments (`secret_string_wo`).
 *
 * cdktf 0.21 knows resources and data sources but not ephemeral resources, and the prebuilt AWS
 * bindings (provider 6.25 schema) have no ephemeral classes, so this element renders the block
 * itself, under the top-level `ephemeral` key that Terraform's JSON syntax reads. Arguments are
 * given in Terraform's own (snake_case) names; tokens in them resolve like any other. (cdktf's own
 * HCL renderer, Testing.synthHcl, drops top-level blocks it does not know, this one included: the
 * modules' HCL is printed from the synthesized JSON.)
 */
import type { Construct } from "constructs";
import { Fn, TerraformElement, TerraformStack, Token, ref as tfRef } from "cdktf";
import { countOf, type Cond } from "./util.js";

export interface EphemeralResourceProps {
  /** The ephemeral resource type, e.g. `aws_secretsmanager_random_password`. */
  readonly type: string;
  /** Its arguments, in Terraform's names. */
  readonly arguments: Record<string, unknown>;
  /** Opened only when this holds: `count = cond ? 1 : 0` for a plan-time condition. */
  readonly when?: Cond;
}

export class EphemeralResource extends TerraformElement {
  readonly type: string;
  /** The `count` expression, or undefined when the block always exists. */
  readonly count?: number;
  private readonly args: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: EphemeralResourceProps) {
    super(scope, id, `ephemeral.${props.type}`);
    const n = countOf(props.when ?? true);
    if (n === "skip") throw new Error(`EphemeralResource ${id}: create it only when its condition can hold`);
    this.type = props.type;
    this.count = n;
    this.args = props.arguments;
  }

  /**
   * An attribute, as a string token: `one(ephemeral.T.N[*].attr)` with a count (null when the
   * count is 0), `ephemeral.T.N.attr` without. Valid only in ephemeral contexts: write-only
   * arguments, provider blocks, locals used by those.
   */
  attribute(name: string): string {
    const address = `${this.type}.${this.friendlyUniqueId}`;
    const stack = TerraformStack.of(this);
    return this.count === undefined
      ? Token.asString(tfRef(`ephemeral.${address}.${name}`, stack))
      : Token.asString(Fn.one(tfRef(`ephemeral.${address}[*].${name}`, stack)));
  }

  override toTerraform(): Record<string, unknown> {
    const body: Record<string, unknown> = { ...this.args };
    if (this.count !== undefined) body.count = this.count;
    return { ephemeral: { [this.type]: { [this.friendlyUniqueId]: body } } };
  }
}
