Feature: Errors
  As an ops author
  I want errors to say what went wrong and where, and try/catch to pick the ones it handles
  So that a failed run points at its task and handled failures take the planned path

  Scenario: An uncaught error in nested tasks points at the innermost task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: nested-instance
      version: '1.0.0'
    do:
      - prepare:
          set:
            ok: true
      - handleRefund:
          do:
            - check:
                set:
                  checked: true
            - guarded:
                try:
                  - reject:
                      raise:
                        error:
                          type: https://shopflow.example/errors/refund-rejected
                          status: 422
                          title: Refund rejected
                catch:
                  errors:
                    with:
                      status: 503
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/refund-rejected
    status: 422
    title: Refund rejected
    instance: /do/1/handleRefund/do/1/guarded/try/0/reject
    """
    And reject should fault
    And check should complete

  Scenario: A caught error keeps its instance for the handler
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: caught-instance
      version: '1.0.0'
    do:
      - eachOrder:
          for:
            each: order
            in: ${ .orders }
          do:
            - attempt:
                try:
                  - validate:
                      if: ${ $order.amount < 0 }
                      raise:
                        error:
                          type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
                          status: 400
                          detail: ${ "negative amount in " + $order.id }
                catch:
                  as: problem
                  do:
                    - note:
                        set:
                          failedAt: ${ $problem.instance }
                          detail: ${ $problem.detail }
    """
    And given the workflow input is:
    """yaml
    orders:
      - { id: A, amount: 5 }
      - { id: B, amount: -1 }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    failedAt: /do/0/eachOrder/do/0/attempt/try/0/validate
    detail: negative amount in B
    """
    And validate should be skipped
    And validate should run 1 time
    And validate should fault

  Scenario: An expression that fails at run time is an expression error at its task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: expression-error
      version: '1.0.0'
    do:
      - ok:
          set:
            amount: twelve
      - addTax:
          set:
            total: ${ .amount * 1.13 }
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/expression
    status: 400
    instance: /do/1/addTax
    """
    And addTax should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/expression
    status: 400
    instance: /do/1/addTax
    """

  Scenario: An expression error can be caught like any other error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: expression-error-caught
      version: '1.0.0'
    do:
      - safely:
          try:
            - parse:
                set:
                  n: ${ .raw | tonumber }
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/expression
            do:
              - fallback:
                  set:
                    n: 0
    """
    And given the workflow input is:
    """yaml
    raw: not-a-number
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    n: 0
    """

  Scenario: Raise a reusable error from use.errors
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: reusable-error
      version: '1.0.0'
    use:
      errors:
        outOfStock:
          type: https://shopflow.example/errors/out-of-stock
          status: 409
          title: Out of stock
    do:
      - checkStock:
          switch:
            - none:
                when: ${ .stock == 0 }
                then: failOutOfStock
            - some:
                then: reserve
      - failOutOfStock:
          raise:
            error: outOfStock
      - reserve:
          set:
            reserved: true
    """
    And given the workflow input is:
    """yaml
    stock: 0
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/out-of-stock
    status: 409
    title: Out of stock
    instance: /do/1/failOutOfStock
    """
    And reserve should run 0 times

  Scenario: A raised error's detail can be an expression
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: raise-detail-expression
      version: '1.0.0'
    do:
      - refuse:
          raise:
            error:
              type: https://shopflow.example/errors/limit
              status: 403
              title: Over the refund limit
              detail: ${ "refund of \(.amount) exceeds \(.limit)" }
    """
    And given the workflow input is:
    """yaml
    amount: 900
    limit: 500
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/limit
    status: 403
    title: Over the refund limit
    detail: refund of 900 exceeds 500
    instance: /do/0/refuse
    """

  Scenario: catch.when catches only the errors it holds for
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: catch-when
      version: '1.0.0'
    do:
      - tryCharge:
          try:
            - charge:
                raise:
                  error:
                    type: https://shopflow.example/errors/payment
                    status: 402
                    detail: card declined
          catch:
            errors:
              with:
                type: https://shopflow.example/errors/payment
            when: ${ $error.detail == "card declined" }
            do:
              - askOtherCard:
                  set:
                    next: ask-other-card
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    next: ask-other-card
    """
    And askOtherCard should run after charge

  Scenario: catch.when that does not hold lets the error through
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: catch-when-false
      version: '1.0.0'
    do:
      - tryCharge:
          try:
            - charge:
                raise:
                  error:
                    type: https://shopflow.example/errors/payment
                    status: 402
                    detail: fraud suspected
          catch:
            when: ${ $error.detail == "card declined" }
            do:
              - askOtherCard:
                  set:
                    next: ask-other-card
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    status: 402
    detail: fraud suspected
    instance: /do/0/tryCharge/try/0/charge
    """
    And askOtherCard should run 0 times

  Scenario: catch.exceptWhen excludes the errors it holds for
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: catch-except-when
      version: '1.0.0'
    do:
      - tryShip:
          try:
            - book:
                raise:
                  error:
                    type: https://shopflow.example/errors/courier
                    status: 400
                    title: Address rejected
          catch:
            exceptWhen: ${ $error.status == 400 }
            do:
              - retryLater:
                  set:
                    next: retry-later
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/courier
    status: 400
    title: Address rejected
    """
    And retryLater should run 0 times

  Scenario: catch.exceptWhen that does not hold catches the error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: catch-except-when-false
      version: '1.0.0'
    do:
      - tryShip:
          try:
            - book:
                raise:
                  error:
                    type: https://shopflow.example/errors/courier
                    status: 503
                    title: Courier down
          catch:
            exceptWhen: ${ $error.status == 400 }
            do:
              - retryLater:
                  set:
                    next: retry-later
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    next: retry-later
    """
