# `terraform test` of modules/keep-warm with a mocked AWS provider (no AWS is reached): run by
# test/terraform-test.test.ts on a copy of the module pinned to the provider mirror's version.
# keep-warm is the module whose every argument the mirror's 5.100 schema knows; the others use 6.x
# names (data.aws_region's `region`, the Function URL permission's `invoked_via_function_url`)
# that a 5.x provider rejects, so their plan-level checks are the cdktf Testing assertions and the
# terraform console tests instead.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp"
}

run "defaults_ping_the_function_once_without_retries" {
  command = plan

  assert {
    condition     = length(aws_scheduler_schedule.keep_warm_schedule) == 1
    error_message = "one schedule by default"
  }
  assert {
    condition     = aws_scheduler_schedule.keep_warm_schedule[0].target[0].arn == var.function_arn
    error_message = "the unqualified function is pinged without an alias"
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.keep_warm_schedule[0].target[0].input) == { warmer = true, concurrency = 1 }
    error_message = "the ping payload"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.keep_warm_async[0].maximum_retry_attempts == 0 && aws_lambda_function_event_invoke_config.keep_warm_async[0].maximum_event_age_in_seconds == 60
    error_message = "async pings are never retried and expire after 60 s"
  }
}

run "three_environments_through_the_alias" {
  command = plan
  variables {
    concurrency        = 3
    function_alias_arn = "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp:live"
    enabled            = false
  }
  assert {
    condition     = length(aws_scheduler_schedule.keep_warm_schedule) == 3
    error_message = "one schedule per environment"
  }
  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.keep_warm_schedule : s.target[0].arn == var.function_alias_arn && s.state == "DISABLED"])
    error_message = "every schedule pings the alias, disabled"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.keep_warm_async[0].qualifier == "live"
    error_message = "the async config is the alias's"
  }
}

run "a_qualified_arn_is_refused_as_function_arn" {
  command = plan
  variables {
    function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:jupyter-mcp:live"
  }
  expect_failures = [var.function_arn]
}
