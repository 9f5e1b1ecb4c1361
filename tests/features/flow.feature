Feature: Flow directives and conditions
  As an ops author
  I want then, switch and if to steer a run
  So that loops, branches and skipped steps work as written

  Scenario: A backward then jump makes a counting loop
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: counter-loop
      version: '1.0.0'
    do:
      - init:
          set:
            count: 0
      - increment:
          set:
            count: ${ .count + 1 }
      - check:
          switch:
            - more:
                when: ${ .count < 5 }
                then: increment
            - enough:
                then: continue
      - done:
          set:
            final: ${ .count }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    final: 5
    """
    And increment should run 5 times
    And check should run 5 times
    And init should run first
    And done should run last

  Scenario: A then loop that never ends is stopped by the step limit
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: endless-loop
      version: '1.0.0'
    do:
      - spin:
          set:
            n: ${ (.n // 0) + 1 }
          then: spin
    """
    And the run may execute at most 500 tasks
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    status: 500
    title: Step limit exceeded
    instance: /do/0/spin
    """
    And spin should run 500 times

  Scenario: A switch with no matching case and no default continues with the next task
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: switch-no-match
      version: '1.0.0'
    do:
      - route:
          switch:
            - refund:
                when: ${ .kind == "refund" }
                then: handleRefund
            - invoice:
                when: ${ .kind == "invoice" }
                then: handleInvoice
      - fallThrough:
          set:
            routed: ${ .kind }
            via: fallThrough
          then: end
      - handleRefund:
          set:
            via: handleRefund
          then: end
      - handleInvoice:
          set:
            via: handleInvoice
    """
    And given the workflow input is:
    """yaml
    kind: praise
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    routed: praise
    via: fallThrough
    """
    And route should run first
    And fallThrough should run last
    And handleRefund should run 0 times

  Scenario: A task whose if is false is skipped and its input passes through
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: if-skip
      version: '1.0.0'
    do:
      - addGift:
          if: ${ .total > 100 }
          set:
            gift: true
      - addNote:
          if: ${ .total > 10 }
          set:
            total: ${ .total }
            note: thanks
    """
    And given the workflow input is:
    """yaml
    total: 50
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    total: 50
    note: thanks
    """
    And addGift should be skipped
    And addGift should run 0 times
    And addNote should complete

  Scenario: then exit leaves the nested list, then end ends the workflow
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: exit-and-end
      version: '1.0.0'
    do:
      - inner:
          do:
            - first:
                set:
                  steps: [ first ]
                then: exit
            - skipped:
                set:
                  steps: [ skipped ]
      - afterInner:
          set:
            steps: ${ .steps + [ "afterInner" ] }
          then: end
      - neverReached:
          set:
            steps: [ neverReached ]
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    steps: [ first, afterInner ]
    """
    And skipped should run 0 times
    And neverReached should run 0 times
    And afterInner should run after first

  Scenario: For iterates with a custom item and index name while a condition holds
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: for-while-at
      version: '1.0.0'
    do:
      - fillBox:
          for:
            each: parcel
            in: ${ .parcels }
            at: position
          while: ${ .weight < 10 }
          do:
            - addParcel:
                set:
                  weight: ${ .weight + $parcel.kg }
                  packed: '${ .packed + [ { sku: $parcel.sku, at: $position } ] }'
    """
    And given the workflow input is:
    """yaml
    weight: 0
    packed: []
    parcels:
      - { sku: A, kg: 4 }
      - { sku: B, kg: 7 }
      - { sku: C, kg: 1 }
      - { sku: D, kg: 2 }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    weight: 11
    packed:
      - { sku: A, at: 0 }
      - { sku: B, at: 1 }
    """
    And addParcel should run 2 times

  Scenario: Fork branches run together and their outputs keep declaration order
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: fork-order
      version: '1.0.0'
    do:
      - gather:
          fork:
            branches:
              - slowQuote:
                  do:
                    - waitSlow:
                        wait: PT3M
                    - quoteSlow:
                        set:
                          carrier: slow
              - fastQuote:
                  do:
                    - waitFast:
                        wait: PT1M
                    - quoteFast:
                        set:
                          carrier: fast
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    - carrier: slow
    - carrier: fast
    """
    And quoteSlow should run after quoteFast
    And the clock should have advanced at least PT3M
    And the clock should have advanced less than PT4M

  Scenario: A competing fork keeps the winner and cancels the losers
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: fork-compete
      version: '1.0.0'
    do:
      - race:
          fork:
            compete: true
            branches:
              - slowCourier:
                  do:
                    - slowWait:
                        wait: PT2H
                    - slowBook:
                        set:
                          courier: slow
              - fastCourier:
                  do:
                    - fastWait:
                        wait: PT5M
                    - fastBook:
                        set:
                          courier: fast
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    courier: fast
    """
    And fastCourier should complete
    And slowCourier should not complete
    And slowWait should not complete
    And slowBook should run 0 times
    And slowCourier should cancel
    And the clock should have advanced less than PT6M

  Scenario: then end inside a nested list ends the whole workflow
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: nested-end
      version: '1.0.0'
    do:
      - triage:
          do:
            - spam:
                set:
                  verdict: spam
                then: end
            - notReached:
                set:
                  verdict: unreachable
      - assignAgent:
          set:
            verdict: assigned
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    verdict: spam
    """
    And notReached should run 0 times
    And assignAgent should run 0 times

  Scenario: A fault in one fork branch faults the fork
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: shopflow
      name: fork-fault
      version: '1.0.0'
    do:
      - notifyAll:
          fork:
            branches:
              - notifyBuyer:
                  wait: PT1H
              - notifySeller:
                  raise:
                    error:
                      type: https://shopflow.example/errors/notify
                      status: 502
                      title: SMS gateway down
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://shopflow.example/errors/notify
    status: 502
    instance: /do/0/notifyAll/fork/branches/1/notifySeller
    """
    And notifySeller should fault
    And notifyAll should fault
