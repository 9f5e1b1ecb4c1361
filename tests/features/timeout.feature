Feature: Timeouts
  As an ops author
  I want tasks and whole flows to give up after a time limit
  So that a stuck step becomes a timeout error (type timeout, status 408) a catch can handle

  Scenario: A task that takes too long faults with a timeout error and is cancelled
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-timeout
      version: '1.0.0'
    do:
      - slowCheck:
          wait: PT1H
          timeout:
            after: PT10S
      - never:
          set:
            reached: true
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    status: 408
    instance: /do/0/slowCheck
    """
    And slowCheck should cancel
    And slowCheck should not complete
    And the clock should have advanced at least PT10S
    And the clock should have advanced less than PT11S

  Scenario: A task timeout is caught and the flow escalates
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-timeout-caught
      version: '1.0.0'
    use:
      timeouts:
        quick:
          after:
            seconds: 30
    do:
      - tryCheck:
          try:
            - slowCheck:
                wait: PT5M
                timeout: quick
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
            as: late
            do:
              - escalate:
                  set:
                    escalated: true
                    status: ${ $late.status }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    escalated: true
    status: 408
    """
    And slowCheck should cancel
    And escalate should run after slowCheck
    And the clock should have advanced at least PT30S
    And the clock should have advanced less than PT31S

  Scenario: A task that finishes in time is not affected by its timeout
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-in-time
      version: '1.0.0'
    do:
      - quickCheck:
          wait: PT5S
          timeout:
            after: PT1M
      - done:
          set:
            ok: true
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    ok: true
    """
    And quickCheck should complete
    And the clock should have advanced less than PT6S

  Scenario: A workflow timeout stops the whole run
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: workflow-timeout
      version: '1.0.0'
    timeout:
      after:
        minutes: 1
    do:
      - prepare:
          set:
            step: prepared
      - waitForever:
          wait: P1D
      - never:
          set:
            step: finished
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    status: 408
    """
    And prepare should complete
    And waitForever should not complete
    And the clock should have advanced at least PT1M
    And the clock should have advanced less than PT2M
