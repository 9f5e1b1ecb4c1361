Feature: Listen and Emit
  As an ops author
  I want a flow to wait for platform events, matched by filters and correlation
  So that a run resumes exactly when its buyer pays or its approver decides

  Scenario: Listen for one event published while the run waits
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-one
      version: '1.0.0'
    do:
      - waitForPayment:
          listen:
            to:
              one:
                with:
                  type: shopflow.taobao.trade.buyerpay
    """
    When the workflow is executed
    And the event is published:
    """yaml
    type: shopflow.taobao.trade.buyerpay
    subject: T-1001
    data:
      tid: T-1001
      paid: 99.5
    """
    Then the workflow should complete with output:
    """yaml
    - tid: T-1001
      paid: 99.5
    """
    And waitForPayment should complete

  Scenario: An event published before the run starts is kept and matched
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-early
      version: '1.0.0'
    do:
      - prepare:
          set:
            tid: T-2002
      - waitForPayment:
          listen:
            to:
              one:
                with:
                  type: shopflow.taobao.trade.buyerpay
          output:
            as: ${ .[0] }
    """
    And the event is published before the workflow starts:
    """yaml
    type: shopflow.taobao.trade.buyerpay
    data:
      tid: T-2002
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    tid: T-2002
    """

  Scenario: An event that arrives before its listen starts is still matched
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-out-of-order
      version: '1.0.0'
    do:
      - waitForPayment:
          listen:
            to:
              one:
                with:
                  type: shopflow.trade.paid
          output:
            as: '${ { paid: .[0].tid } }'
      - waitForShipment:
          listen:
            to:
              one:
                with:
                  type: shopflow.trade.shipped
          output:
            as: '${ $input + { shipped: .[0].tid } }'
    """
    # The shipment event is published first, while the run still waits for the payment.
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.trade.shipped
      data: { tid: T-3003 }
    - type: shopflow.trade.paid
      data: { tid: T-3003 }
    """
    Then the workflow should complete with output:
    """yaml
    paid: T-3003
    shipped: T-3003
    """
    And waitForPayment should run before waitForShipment

  Scenario: Correlation with an expectation ignores events of other orders
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-correlate-expect
      version: '1.0.0'
    do:
      - waitForPayment:
          listen:
            to:
              one:
                with:
                  type: shopflow.trade.paid
                correlate:
                  trade:
                    from: ${ .data.tid }
                    expect: ${ .tid }
    """
    And given the workflow input is:
    """yaml
    tid: T-4004
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.trade.paid
      data: { tid: T-9999, amount: 1 }
    - type: shopflow.trade.paid
      data: { tid: T-4004, amount: 2 }
    """
    Then the workflow should complete with output:
    """yaml
    - tid: T-4004
      amount: 2
    """

  Scenario: Correlation without an expectation uses the first event's value
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-correlate-first
      version: '1.0.0'
    do:
      - waitForPaymentAndShipment:
          listen:
            to:
              all:
                - with:
                    type: shopflow.trade.paid
                  correlate:
                    trade:
                      from: ${ .data.tid }
                - with:
                    type: shopflow.trade.shipped
                  correlate:
                    trade:
                      from: ${ .data.tid }
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.trade.paid
      data: { tid: T-5005, step: paid }
    - type: shopflow.trade.shipped
      data: { tid: T-6006, step: shipped-other-trade }
    - type: shopflow.trade.shipped
      data: { tid: T-5005, step: shipped }
    """
    Then the workflow should complete with output:
    """yaml
    - tid: T-5005
      step: paid
    - tid: T-5005
      step: shipped
    """

  Scenario: Listen to any of several events takes the first that matches
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-any
      version: '1.0.0'
    do:
      - waitForDecision:
          listen:
            to:
              any:
                - with:
                    type: shopflow.finance.approved
                - with:
                    type: shopflow.finance.rejected
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.finance.commented
      data: { note: not a decision }
    - type: shopflow.finance.rejected
      data: { reason: duplicate invoice }
    """
    Then the workflow should complete with output:
    """yaml
    - reason: duplicate invoice
    """

  Scenario: Listen to all events waits for every filter, in any order
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-all
      version: '1.0.0'
    do:
      - waitForBoth:
          listen:
            to:
              all:
                - with:
                    type: shopflow.trade.paid
                - with:
                    type: shopflow.trade.signed
    """
    When the workflow is executed
    And the event is published:
    """yaml
    type: shopflow.trade.signed
    data: { by: buyer }
    """
    And the event is published:
    """yaml
    type: shopflow.trade.paid
    data: { amount: 10 }
    """
    Then the workflow should complete with output:
    """yaml
    - by: buyer
    - amount: 10
    """

  Scenario: Listen to any events until a closing event, which is not part of the output
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-until-event
      version: '1.0.0'
    do:
      - collectMessages:
          listen:
            to:
              any:
                - with:
                    type: shopflow.ticket.message
              until:
                one:
                  with:
                    type: shopflow.ticket.closed
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.ticket.message
      data: { text: where is my parcel }
    - type: shopflow.ticket.message
      data: { text: still waiting }
    - type: shopflow.ticket.closed
      data: { by: agent }
    """
    Then the workflow should complete with output:
    """yaml
    - text: where is my parcel
    - text: still waiting
    """

  Scenario: Listen to any events until an expression over the consumed events holds
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-until-expression
      version: '1.0.0'
    do:
      - collectVotes:
          listen:
            to:
              any:
                - with:
                    type: shopflow.review.vote
              until: ${ length >= 2 }
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.review.vote
      data: { voter: a }
    - type: shopflow.review.vote
      data: { voter: b }
    - type: shopflow.review.vote
      data: { voter: c }
    """
    Then the workflow should complete with output:
    """yaml
    - voter: a
    - voter: b
    """

  Scenario: Reading the envelope gives the whole CloudEvent
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-envelope
      version: '1.0.0'
    do:
      - waitForRefund:
          listen:
            to:
              one:
                with:
                  type: shopflow.jd.refund.created
            read: envelope
          output:
            as: ${ .[0] }
    """
    When the workflow is executed
    And the event is published:
    """yaml
    type: shopflow.jd.refund.created
    subject: R-77
    data: { amount: 12 }
    """
    Then the workflow should complete
    And the workflow output should have properties 'specversion', 'id', 'source', 'type', 'subject', 'data'
    And the workflow output should have a 'subject' property with value:
    """yaml
    R-77
    """

  Scenario: Attribute filters accept regular expressions and runtime expressions
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-filter-patterns
      version: '1.0.0'
    do:
      - waitForBigOrder:
          listen:
            to:
              one:
                with:
                  type: shopflow\.(taobao|jd)\.trade\.create
                  data: ${ .amount > 100 }
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.pdd.trade.create
      data: { amount: 500, shop: pdd }
    - type: shopflow.jd.trade.create
      data: { amount: 50, shop: jd-small }
    - type: shopflow.jd.trade.create
      data: { amount: 150, shop: jd-big }
    """
    Then the workflow should complete with output:
    """yaml
    - amount: 150
      shop: jd-big
    """

  Scenario: An approval that never comes times out and escalates
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: approval-timeout
      version: '1.0.0'
    do:
      - awaitApproval:
          try:
            - waitForFinance:
                listen:
                  to:
                    one:
                      with:
                        type: shopflow.finance.approved
                timeout:
                  after: P2D
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
            do:
              - escalate:
                  set:
                    escalatedTo: finance-manager
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    escalatedTo: finance-manager
    """
    And waitForFinance should cancel
    And the clock should have advanced at least P2D
    And the clock should have advanced less than P2DT1S

  Scenario: One fork branch emits the event another branch listens for
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: emit-to-self
      version: '1.0.0'
    do:
      - handshake:
          fork:
            branches:
              - waitForReady:
                  listen:
                    to:
                      one:
                        with:
                          type: shopflow.voucher.ready
              - announceReady:
                  emit:
                    event:
                      with:
                        source: urn:shopflow:voucher
                        type: shopflow.voucher.ready
                        data:
                          voucher: ${ .voucher }
    """
    And given the workflow input is:
    """yaml
    voucher: V-42
    """
    When the workflow is executed
    Then the workflow should complete
    And the workflow output should have a '0' property with value:
    """yaml
    - voucher: V-42
    """
    And the workflow output should have a '1.type' property with value:
    """yaml
    shopflow.voucher.ready
    """
    And the workflow output should have properties '1.id', '1.specversion', '1.time', '1.source'

  Scenario: A run cancelled while it listens ends cancelled and its listen never completes
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: cancel-listening
      version: '1.0.0'
    do:
      - waitForever:
          listen:
            to:
              one:
                with:
                  type: shopflow.never
      - after:
          set:
            reached: true
    """
    When the workflow is executed
    And the workflow is cancelled while it listens
    Then the workflow should cancel
    And waitForever should not complete

  Scenario: listen foreach processes each consumed event and outputs the results
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: listen-foreach
      version: '1.0.0'
    do:
      - collectMessages:
          listen:
            to:
              any:
                - with:
                    type: shopflow.ticket.message
              until:
                one:
                  with:
                    type: shopflow.ticket.closed
          foreach:
            item: message
            at: position
            do:
              - shout:
                  set:
                    text: ${ $message.text | ascii_upcase }
                    position: ${ $position }
    """
    When the workflow is executed
    And these events are published in order:
    """yaml
    - type: shopflow.ticket.message
      data: { text: hello }
    - type: shopflow.ticket.message
      data: { text: bye }
    - type: shopflow.ticket.closed
      data: {}
    """
    Then the workflow should complete with output:
    """yaml
    - { text: HELLO, position: 0 }
    - { text: BYE, position: 1 }
    """
    And shout should run 2 times
