Feature: Data flow
  As an ops author
  I want inputs, outputs, the context and runtime arguments to behave as DSL 1.0.3 says
  So that a flow's data is predictable from its definition

  Scenario: Set computes fields with expressions
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: set-expressions
      version: '1.0.0'
    do:
      - summarize:
          set:
            orderId: ${ .order.id }
            total: ${ [ .order.items[] | .price * .qty ] | add }
            itemCount: ${ .order.items | length }
            channel: taobao
            flags:
              big: ${ ([ .order.items[].price ] | max) > 50 }
    """
    And given the workflow input is:
    """yaml
    order:
      id: T-1
      items:
        - { sku: A, price: 10, qty: 1 }
        - { sku: B, price: 60, qty: 1 }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    orderId: T-1
    total: 70
    itemCount: 2
    channel: taobao
    flags:
      big: true
    """

  Scenario: Export writes the context, later tasks read it with $context
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: export-context
      version: '1.0.0'
    do:
      - rememberTrade:
          set:
            tid: ${ .trade.tid }
            buyer: ${ .trade.buyer }
          export:
            as: '${ $context + { tid: .tid } }'
      - rememberBuyer:
          set:
            note: buyer remembered
          export:
            as: '${ $context + { buyer: $input.buyer } }'
      - replace:
          set:
            unrelated: true
      - report:
          set:
            fromContext: ${ $context }
            input: ${ . }
    """
    And given the workflow input is:
    """yaml
    trade:
      tid: T-77
      buyer: alice
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    fromContext:
      tid: T-77
      buyer: alice
    input:
      unrelated: true
    """

  Scenario: $workflow.input is the raw input, $input the transformed one
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: workflow-input
      version: '1.0.0'
    input:
      from: ${ .payload }
    do:
      - compare:
          set:
            raw: ${ $workflow.input }
            transformed: ${ $input }
            dot: ${ . }
    """
    And given the workflow input is:
    """yaml
    payload:
      tid: T-9
    envelope: webhook
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    raw:
      payload:
        tid: T-9
      envelope: webhook
    transformed:
      tid: T-9
    dot:
      tid: T-9
    """

  Scenario: Task input.from narrows what the task sees, $input is the narrowed value
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-input-from
      version: '1.0.0'
    do:
      - pickBuyer:
          input:
            from: ${ .order.buyer }
          set:
            name: ${ $input.name }
            level: ${ .level }
    """
    And given the workflow input is:
    """yaml
    order:
      buyer: { name: bob, level: gold }
      items: []
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    name: bob
    level: gold
    """

  Scenario: $task describes the running task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-descriptor
      version: '1.0.0'
    do:
      - outer:
          do:
            - describeMe:
                set:
                  name: ${ $task.name }
                  reference: ${ $task.reference }
                  hasStart: ${ $task.startedAt.epoch.milliseconds > 0 }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    name: describeMe
    reference: /do/0/outer/do/0/describeMe
    hasStart: true
    """

  Scenario: Workflow output.as shapes the final output
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: workflow-output
      version: '1.0.0'
    output:
      as: '${ { ticket: .id, seenInput: $workflow.input.id } }'
    do:
      - assign:
          set:
            id: ${ .id + "-assigned" }
    """
    And given the workflow input is:
    """yaml
    id: K-1
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    ticket: K-1-assigned
    seenInput: K-1
    """

  Scenario: Workflow input that fails its schema faults with a validation error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: input-schema
      version: '1.0.0'
    input:
      schema:
        format: json
        document:
          type: object
          required: [ orderId ]
          properties:
            orderId:
              type: string
    do:
      - neverRuns:
          set:
            ran: true
    """
    And given the workflow input is:
    """yaml
    orderid: lowercase-key
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
    status: 400
    """
    And neverRuns should run 0 times

  Scenario: Task input that fails its schema faults at the task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-input-schema
      version: '1.0.0'
    do:
      - ok:
          set:
            amount: '120'
      - charge:
          input:
            schema:
              format: json
              document:
                type: object
                properties:
                  amount:
                    type: number
          set:
            charged: ${ .amount }
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
    status: 400
    instance: /do/1/charge
    """
    And ok should complete

  Scenario: Task output that fails its schema faults at the task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: task-output-schema
      version: '1.0.0'
    do:
      - classify:
          set:
            department: ${ .hint }
          output:
            schema:
              format: json
              document:
                type: object
                properties:
                  department:
                    enum: [ logistics, returns, invoice ]
    """
    And given the workflow input is:
    """yaml
    hint: astrology
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
    status: 400
    instance: /do/0/classify
    """

  Scenario: Loose evaluation treats strings that are expressions as expressions
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: loose-mode
      version: '1.0.0'
    evaluate:
      mode: loose
    do:
      - compute:
          set:
            total: .price * .qty
            strict: ${ .price + 1 }
            label: plain words stay text
    """
    And given the workflow input is:
    """yaml
    price: 4
    qty: 3
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    total: 12
    strict: 5
    label: plain words stay text
    """

  Scenario: Strict evaluation leaves strings without ${ } alone
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: strict-mode
      version: '1.0.0'
    do:
      - compute:
          set:
            total: .price * .qty
    """
    And given the workflow input is:
    """yaml
    price: 4
    qty: 3
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    total: .price * .qty
    """

  Scenario: An exported context that fails export.schema faults at the task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: export-schema
      version: '1.0.0'
    do:
      - remember:
          set:
            tid: 12345
          export:
            as: '${ { tid: .tid } }'
            schema:
              format: json
              document:
                type: object
                properties:
                  tid:
                    type: string
      - later:
          set:
            reached: true
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
    status: 400
    instance: /do/0/remember
    """
    And later should run 0 times

  Scenario: export.as sees the transformed output as . and $output, and the input as $input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: export-arguments
      version: '1.0.0'
    do:
      - price:
          set:
            net: ${ .amount }
          output:
            as: '${ { net: .net, gross: (.net * 2) } }'
          export:
            as: '${ { dot: .gross, output: $output.gross, input: $input.amount } }'
      - report:
          set: '${ $context }'
    """
    And given the workflow input is:
    """yaml
    amount: 21
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    dot: 42
    output: 42
    input: 21
    """
