/**
 * A stack meant to become a Terraform module: readable logical ids (the construct path in
 * snake_case, no hash), and helpers that declare variables and outputs under their exact names.
 */
import { Node } from "constructs";
import {
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  type TerraformElement,
  type TerraformVariableConfig,
  type TerraformVariableValidationConfig,
} from "cdktf";

export interface VariableSpec extends Omit<TerraformVariableConfig, "validation"> {
  /** Required: every module input is documented. */
  readonly description: string;
  /** Required: every module input is typed. */
  readonly type: string;
  readonly validation?: TerraformVariableValidationConfig[];
}

export interface OutputSpec {
  readonly value: unknown;
  readonly description: string;
  readonly sensitive?: boolean;
}

export class ModuleStack extends TerraformStack {
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof Node ? element : element.node;
    const scopes = node.scopes;
    const parts = scopes.slice(scopes.indexOf(this) + 1).map((s) => s.node.id);
    const id = parts
      .join("_")
      .replace(/[^A-Za-z0-9_]+/g, "_")
      .toLowerCase();
    return /^[a-z_]/.test(id) ? id : `_${id}`;
  }

  /** A `variable "name"` block; `name` is the Terraform name (snake_case). */
  variable(name: string, spec: VariableSpec): TerraformVariable {
    // CDKTF cannot render `default = null` itself: declare without it, then override.
    const nullDefault = spec.default === null;
    const v = new TerraformVariable(this, `var-${name}`, {
      ...spec,
      default: nullDefault ? undefined : spec.default,
      nullable: nullDefault ? true : spec.nullable,
    });
    if (nullDefault) v.addOverride("default", null);
    v.overrideLogicalId(name);
    return v;
  }

  /** An `output "name"` block. */
  output(name: string, spec: OutputSpec): TerraformOutput {
    const o = new TerraformOutput(this, `out-${name}`, spec);
    o.overrideLogicalId(name);
    return o;
  }
}

/** A validation rule in Terraform syntax (`condition` is an HCL expression over `var.<name>`). */
export function rule(condition: string, errorMessage: string): TerraformVariableValidationConfig {
  return { condition: `\${${condition}}`, errorMessage };
}
