"""updateAccount over GraphQL: the same flow as `idgraph account` (app.accounts), behind the
records:write capability."""

from __future__ import annotations

UPDATE = """
mutation($id: ID!, $attributes: [AttributeValueInput!]!) {
  updateAccount(accountId: $id, attributes: $attributes) {
    accountId attributes householdIds alertsRaised changes { metric value }
  }
}
"""


async def test_an_account_gets_its_plan_and_a_bad_update_is_refused(seed, gql, api_store):
    seed.customer("crm:C-1", accounts=[("ACC-1", "owner")])
    plan = [{"name": "planMb", "value": "5000"}, {"name": "product", "value": "Family 5GB"}]
    out = (await gql.data(UPDATE, id="ACC-1", attributes=plan))["updateAccount"]
    assert out == {
        "accountId": "ACC-1",
        "attributes": {"accountId": "ACC-1", "planMb": 5000, "product": "Family 5GB"},
        "householdIds": [],  # its holder has no profile yet, so no household
        "alertsRaised": 0,
        "changes": [],
    }
    read = await gql.data('{ customer(id: "crm:C-1") { accounts { accountId role attributes } } }')
    assert read["customer"]["accounts"] == [
        {
            "accountId": "ACC-1",
            "role": "owner",
            "attributes": {"planMb": 5000, "product": "Family 5GB"},
        }
    ]

    twice = [{"name": "planMb", "value": "1"}, {"name": "planMb", "value": "2"}]
    for attributes, account, code, words in (
        (twice, "ACC-1", "BAD_USER_INPUT", "given more than once"),
        ([{"name": "plan mb", "value": "1"}], "ACC-1", "BAD_USER_INPUT", "not usable"),
        ([{"name": "planMb", "value": "1"}], "ACC-9", "BAD_USER_INPUT", "no such account"),
    ):
        body = await gql(UPDATE, id=account, attributes=attributes)
        error = body["errors"][0]
        assert (error["extensions"]["code"], words in error["message"]) == (code, True)
    body = await gql.as_role("analyst")(UPDATE, id="ACC-1", attributes=[plan[0] | {"value": "9"}])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rows, _ = api_store.inner.run_text(
        "MATCH (a:Account {accountId: 'ACC-1'}) RETURN a.planMb AS plan", write=False
    )
    assert rows == [{"plan": 5000}]  # none of the refused updates wrote
