Feature: Retries
  As an ops author
  I want a try/catch to retry a failing call with a backoff
  So that a shop platform's brief outage does not fail the flow

  # `flaky` is a test function: it fails `failures` times per idempotency key with a
  # communication error (status 503 unless told otherwise), then returns `{attempts: n}`.
  # Counting per key also proves every retry of a step carries the same idempotency key.
  # `limit.attempt.count` counts retries after the first attempt ("Retrying 5 times ...
  # count: 5" in the spec's example).

  Scenario: Constant backoff retries after the same delay each time
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-constant
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 3
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
                status: 503
            retry:
              delay:
                seconds: 2
              backoff:
                constant: {}
              limit:
                attempt:
                  count: 5
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    attempts: 4
    """
    And callPlatform should run 4 times
    And the clock should have advanced at least PT6S
    And the clock should have advanced less than PT7S

  Scenario: Linear backoff waits one more delay each retry
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-linear
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 3
          catch:
            errors:
              with:
                status: 503
            retry:
              delay: PT1S
              backoff:
                linear: {}
              limit:
                attempt:
                  count: 5
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    attempts: 4
    """
    And callPlatform should run 4 times
    # 1 s + 2 s + 3 s
    And the clock should have advanced at least PT6S
    And the clock should have advanced less than PT7S

  Scenario: Exponential backoff doubles the delay each retry
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-exponential
      version: '1.0.0'
    use:
      retries:
        patient:
          delay:
            seconds: 1
          backoff:
            exponential: {}
          limit:
            attempt:
              count: 5
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 4
          catch:
            errors:
              with:
                status: 503
            retry: patient
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    attempts: 5
    """
    And callPlatform should run 5 times
    # 1 s + 2 s + 4 s + 8 s
    And the clock should have advanced at least PT15S
    And the clock should have advanced less than PT16S

  Scenario: When the retries are exhausted the error stands
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-exhausted
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 10
          catch:
            errors:
              with:
                status: 503
            retry:
              delay: PT1S
              limit:
                attempt:
                  count: 2
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    status: 503
    instance: /do/0/fetchTrade/try/0/callPlatform
    """
    And callPlatform should run 3 times
    And the clock should have advanced at least PT2S
    And the clock should have advanced less than PT3S

  Scenario: Exhausted retries go to the catch handler when there is one
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-then-handle
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 10
          catch:
            errors:
              with:
                status: 503
            retry:
              delay: PT1S
              limit:
                attempt:
                  count: 1
            do:
              - giveUp:
                  set:
                    handled: true
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    handled: true
    """
    And callPlatform should run 2 times
    And giveUp should run 1 time

  Scenario: A retry policy's when decides which errors are retried
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-when
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 10
                  status: 400
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
            retry:
              when: ${ .status >= 500 }
              delay: PT1S
              limit:
                attempt:
                  count: 3
            do:
              - reject:
                  set:
                    rejected: true
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    rejected: true
    """
    And callPlatform should run 1 time
    And the clock should have advanced less than PT1S

  Scenario: Jitter adds a bounded random extra delay to each retry
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-jitter
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 2
          catch:
            errors:
              with:
                status: 503
            retry:
              delay: PT1S
              jitter:
                from: PT0S
                to: PT1S
              limit:
                attempt:
                  count: 5
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    attempts: 3
    """
    # Two retries, each 1 s plus 0–1 s of jitter.
    And the clock should have advanced at least PT2S
    And the clock should have advanced less than PT4.001S

  Scenario: limit.duration stops retrying once the time for retries is used up
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: retry-limit-duration
      version: '1.0.0'
    do:
      - fetchTrade:
          try:
            - callPlatform:
                call: flaky
                with:
                  failures: 100
          catch:
            errors:
              with:
                status: 503
            retry:
              delay: PT3S
              limit:
                duration: PT10S
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    status: 503
    instance: /do/0/fetchTrade/try/0/callPlatform
    """
    # Attempts start at 0 s, 3 s, 6 s and 9 s; one at 12 s would be outside the 10 s window.
    And callPlatform should run 4 times
    And the clock should have advanced at least PT9S
    And the clock should have advanced less than PT12S
