import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region/index.js";

/** Partition, region and account of the caller, for building ARNs without wildcards. */
export class AwsContext extends Construct {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.partition = new DataAwsPartition(this, "partition").partition;
    this.region = new DataAwsRegion(this, "region").region;
    this.accountId = new DataAwsCallerIdentity(this, "caller").accountId;
  }
}
