Feature: Calls and subflows
  As an ops author
  I want to call functions, HTTP services and other flows
  So that a flow can do real work (here against local stand-ins for httpbin and the petstore)

  Scenario: A custom function from use.functions runs with its arguments as input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: custom-function
      version: '1.0.0'
    use:
      functions:
        greet:
          set:
            greeting: ${ "Hello " + .name + ", order " + .order }
    do:
      - welcome:
          call: greet
          with:
            name: ${ .buyer.name }
            order: ${ .tid }
    """
    And given the workflow input is:
    """yaml
    tid: T-5
    buyer:
      name: Li Lei
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    greeting: Hello Li Lei, order T-5
    """

  Scenario: A custom function called from two places journals each call on its own
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: custom-function-twice
      version: '1.0.0'
    use:
      functions:
        shout:
          do:
            - say:
                call: echo
                with:
                  said: ${ .word }
    do:
      - first:
          call: shout
          with:
            word: hello
          export:
            as: '${ {first: .said} }'
      - second:
          call: shout
          with:
            word: again
      - both:
          set:
            first: ${ $context.first }
            second: ${ .said }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    first: hello
    second: again
    """

  Scenario: A built-in function is called by name
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: builtin-echo
      version: '1.0.0'
    do:
      - mirror:
          call: echo
          with:
            tid: ${ .tid }
            fixed: 1
    """
    And given the workflow input is:
    """yaml
    tid: T-6
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    tid: T-6
    fixed: 1
    """

  Scenario: run.workflow runs a subflow and outputs its result
    Given a subflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: price-with-tax
      version: '1.2.0'
    do:
      - addTax:
          set:
            gross: ${ .net * 1.1 | floor }
            currency: ${ .currency }
    """
    And a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: parent
      version: '1.0.0'
    do:
      - price:
          run:
            workflow:
              namespace: shopflow
              name: price-with-tax
              version: '1.2.0'
              input:
                net: ${ .amount }
                currency: CNY
      - label:
          set:
            label: ${ "\(.gross) \(.currency)" }
    """
    And given the workflow input is:
    """yaml
    amount: 100
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    label: 110 CNY
    """
    And addTax should complete
    And addTax should run after price
    And label should run last

  Scenario: run.workflow without await outputs the task's input
    Given a subflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: background-audit
      version: '1.0.0'
    do:
      - audit:
          set:
            audited: true
    """
    And a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: fire-and-forget
      version: '1.0.0'
    do:
      - startAudit:
          run:
            workflow:
              namespace: shopflow
              name: background-audit
              version: '1.0.0'
            await: false
    """
    And given the workflow input is:
    """yaml
    tid: T-10
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    tid: T-10
    """

  Scenario: A subflow's fault faults the parent task
    Given a subflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: always-fails
      version: '1.0.0'
    do:
      - boom:
          raise:
            error:
              type: https://shopflow.example/errors/child
              status: 500
              title: Child failed
    """
    And a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: parent-of-failure
      version: '1.0.0'
    do:
      - delegate:
          run:
            workflow:
              namespace: shopflow
              name: always-fails
              version: '1.0.0'
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/child
    status: 500
    title: Child failed
    """
    And delegate should fault

  Scenario: An HTTP POST carries the step's idempotency key
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-post-idempotency
      version: '1.0.0'
    do:
      - createTicket:
          call: http
          with:
            method: post
            endpoint:
              uri: https://httpbin.org/anything/tickets
            body:
              subject: ${ .subject }
    """
    And given the workflow input is:
    """yaml
    subject: Parcel lost
    """
    When the workflow is executed
    Then the workflow should complete
    And the workflow output should have a 'method' property with value:
    """yaml
    POST
    """
    And the workflow output should have a 'json' property with value:
    """yaml
    subject: Parcel lost
    """
    And the workflow output should have a 'headers.Idempotency-Key' property equal to the idempotency key of step '/do/0/createTicket'

  Scenario: An HTTP GET carries no idempotency key
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-get-no-key
      version: '1.0.0'
    do:
      - lookUp:
          call: http
          with:
            method: get
            endpoint:
              uri: https://httpbin.org/anything/orders/{tid}
    """
    And given the workflow input is:
    """yaml
    tid: T-8
    """
    When the workflow is executed
    Then the workflow should complete
    And the workflow output should have properties 'headers', 'url'
    And the workflow output should not have properties 'headers.Idempotency-Key'
    And the workflow output should have a 'method' property with value:
    """yaml
    GET
    """

  Scenario: A non-2xx answer is a communication error a catch can filter by status
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-503-caught
      version: '1.0.0'
    do:
      - tryPlatform:
          try:
            - callPlatform:
                call: http
                with:
                  method: get
                  endpoint:
                    uri: https://httpbin.org/status/503
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
                status: 503
            as: failure
            do:
              - remember:
                  set:
                    type: ${ $failure.type }
                    status: ${ $failure.status }
                    instance: ${ $failure.instance }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    status: 503
    instance: /do/0/tryPlatform/try/0/callPlatform
    """

  Scenario: A catch filtering another status lets the HTTP error through
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-404-uncaught
      version: '1.0.0'
    do:
      - tryGetPet:
          try:
            - getPet:
                call: http
                with:
                  method: get
                  endpoint:
                    uri: https://petstore.swagger.io/v2/pet/{petId}
          catch:
            errors:
              with:
                status: 503
    """
    And given the workflow input is:
    """yaml
    petId: 404404
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    status: 404
    instance: /do/0/tryGetPet/try/0/getPet
    """
    And getPet should fault

  Scenario: Basic authentication with the wrong password is refused
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-basic-wrong
      version: '1.0.0'
    do:
      - login:
          call: http
          with:
            method: get
            endpoint:
              uri: https://httpbin.org/basic-auth/shop/right-password
              authentication:
                basic:
                  username: shop
                  password: wrong-password
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    status: 401
    instance: /do/0/login
    """

  Scenario: Basic authentication credentials can come from secrets
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: http-basic-secret
      version: '1.0.0'
    use:
      secrets: [ shopLogin ]
      authentications:
        backOffice:
          basic:
            use: shopLogin
    do:
      - login:
          call: http
          with:
            method: get
            endpoint:
              uri: https://httpbin.org/basic-auth/shop/s3cret
              authentication:
                use: backOffice
    """
    And the workflow secrets are:
    """yaml
    shopLogin:
      username: shop
      password: s3cret
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    authenticated: true
    user: shop
    """
