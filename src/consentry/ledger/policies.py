"""A group's transactional policy per channel (seeds/003; issue 10; decision 075).

``transactional_policy`` lists, for each enabled channel, whether a transactional message may
reach a contact who opted out of marketing there and who decided it (the group, or the
deployment's default); ``set_transactional_policy`` sets the group's own choice (``None``:
back to the default). ``policy_of`` is what eligibility, audiences and proofs judge a
transactional message by. A bounce or a complaint is never bypassed, whatever the policy.
"""

from __future__ import annotations

from consentry.core.channels import Channel, ChannelPolicy, parse_channel
from consentry.core.eligibility import transactional_policy as policy_on
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.policies import ChannelRule, GroupSetting
from consentry.ledger.context import Context
from consentry.ledger.ports import Reader


def policy_of(ctx: Context, reader: Reader, group_id: str) -> ChannelPolicy:
    """The deployment's channel policy with the group's own transactional settings."""
    settings = reader.transactional_settings(group_id)
    if not settings:
        return ctx.policy
    return ctx.policy.for_group({s.channel: s.bypass for s in settings})


def transactional_policy(ctx: Context, principal: Principal) -> list[ChannelRule]:
    """The transactional policy in force on each enabled channel of the principal's group."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        settings = {s.channel: s for s in tx.transactional_settings(principal.group_id)}
        policy = policy_of(ctx, tx, principal.group_id)
    return [_rule(channel, policy, settings.get(channel)) for channel in _enabled(ctx)]


def set_transactional_policy(
    ctx: Context, principal: Principal, channel: str | Channel, *, bypass: bool | None
) -> ChannelRule:
    """Set whether transactional messages on ``channel`` may pass a marketing opt-out in the
    group (``None``: follow the deployment's default again). Admins of the whole group."""
    authorise(principal, Capability.CONFIGURE_POLICY, principal.group_id)
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    setting = GroupSetting(chan, bool(bypass), principal.id, ctx.clock.now())
    with ctx.store.transaction() as tx:
        if bypass is None:
            tx.delete_transactional_setting(principal.group_id, chan)
        else:
            tx.put_transactional_setting(principal.group_id, setting)
        policy = policy_of(ctx, tx, principal.group_id)
        tx.commit()
    return _rule(chan, policy, None if bypass is None else setting)


def _rule(channel: Channel, policy: ChannelPolicy, setting: GroupSetting | None) -> ChannelRule:
    return ChannelRule(
        channel,
        channel in policy.transactional_bypass,
        policy_on(channel, policy),
        setting.updated_by if setting else None,
        setting.updated_at if setting else None,
    )


def _enabled(ctx: Context) -> list[Channel]:
    return [channel for channel in Channel if channel in ctx.policy.enabled]
