Feature: Wait Task
  As an ops author
  I want a flow to pause for a duration given as ISO 8601 text, an object or an expression
  So that reminders and grace periods happen on time (here on tokio's paused clock)

  Scenario: Wait for an ISO 8601 duration
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: wait-iso
      version: '1.0.0'
    do:
      - graceHour:
          wait: PT1H
    """
    And given the workflow input is:
    """yaml
    orderId: T-1001
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    orderId: T-1001
    """
    And the clock should have advanced at least PT1H
    And the clock should have advanced less than PT1H1S

  Scenario: Wait for a duration object
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: wait-object
      version: '1.0.0'
    do:
      - shortPause:
          wait:
            minutes: 2
            seconds: 30
            milliseconds: 250
    """
    When the workflow is executed
    Then the workflow should complete
    And shortPause should complete
    And the clock should have advanced at least PT2M30.25S
    And the clock should have advanced less than PT2M31S

  Scenario: Wait for a duration computed from the input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: wait-expression
      version: '1.0.0'
    do:
      - paymentWindow:
          wait: ${ .window }
    """
    And given the workflow input is:
    """yaml
    window: PT45M
    """
    When the workflow is executed
    Then the workflow should complete
    And the clock should have advanced at least PT45M
    And the clock should have advanced less than PT46M

  Scenario: Waits in sequence add up
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: wait-sequence
      version: '1.0.0'
    do:
      - first:
          wait: PT10M
      - second:
          wait:
            minutes: 20
    """
    When the workflow is executed
    Then the workflow should complete
    And first should run before second
    And the clock should have advanced at least PT30M
    And the clock should have advanced less than PT31M

  Scenario: Parallel waits in a fork take as long as the longest one
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: wait-parallel
      version: '1.0.0'
    do:
      - remindBoth:
          fork:
            branches:
              - remindBuyer:
                  wait: PT1H
              - remindSeller:
                  wait: PT2H
    """
    When the workflow is executed
    Then the workflow should complete
    And remindBuyer should complete
    And remindSeller should complete
    And the clock should have advanced at least PT2H
    And the clock should have advanced less than PT3H
