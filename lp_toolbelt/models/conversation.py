"""Messaging Interactions (msgHist) conversation models (and, re-exported, the keyword scanner's result).

A conversation as ``getConversationById`` returns it::

    {"_metadata": {...}, "conversationHistoryRecords": [
        {"info": {...}, "campaign": {...}, "messageRecords": [...], "sdes": {"events": [...]}, ...}]}

Fields the Messaging Interactions API reference documents are typed; where its reference and its examples
disagree (ids documented as numbers but sent as strings, ``seq`` as a string but sent as a number...) the type
accepts both and keeps what was sent. Everything else is kept as is (``extra="allow"``), so
``model_dump(by_alias=True)`` gives back the payload that was received. Two documented quirks are typed under
both spellings: ``consumerParticipants`` / ``consumerParticipant`` and ``messageScores`` / ``messageScore``.

Example::

    conv = Conversation.model_validate_json(raw_bytes)
    record = conv.first_record
    for message in record.message_records or []:
        print(message.time_l, message.sent_by, message.text)
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .keyword_scan import KeywordScanResult
from .sde import SDEList, WireModel

__all__ = [
    "AgentParticipant",
    "CampaignInfo",
    "CoBrowseSession",
    "CoBrowseSessions",
    "ConsumerParticipant",
    "ContextData",
    "Conversation",
    "ConversationInfo",
    "ConversationMetadata",
    "ConversationRecord",
    "ConversationSurvey",
    "Dialog",
    "Interaction",
    "JsonContent",
    "KeywordScanResult",
    "MessageData",
    "MessageFile",
    "MessageLink",
    "MessageRecord",
    "MessageScore",
    "MessageStatus",
    "MessageText",
    "MetadataLink",
    "MonitoringInfo",
    "ResponseTime",
    "Summary",
    "SurveyAnswer",
    "Transfer",
]

Id = int | str
"""Ids: the reference documents some as numbers, the examples send them as strings; both are kept as sent."""

TimeText = str | int
"""Human-readable times (``"2016-08-29 14:30:24.565+0000"``; ``"undefined"`` for open conversations)."""

TEXT_PLAIN = "TEXT_PLAIN"
HOSTED_FILE = "HOSTED_FILE"


# --------------------------------------------------------------------------------------------------- metadata
class MetadataLink(WireModel):
    """A ``_metadata`` link: ``rel`` and ``href``."""

    rel: str | None = None
    href: str | None = None


class ConversationMetadata(WireModel):
    """The response's ``_metadata``: ``count``, ``self`` / ``next`` / ``prev`` links, ``shardsStatusResult``."""

    count: int | None = None
    self_link: MetadataLink | None = Field(default=None, alias="self")
    next: MetadataLink | None = None
    prev: MetadataLink | None = None
    shards_status_result: dict[str, Any] | None = None


# --------------------------------------------------------------------------------------------------- record parts
class ConversationInfo(WireModel):
    """``info``: the conversation's summary data (ids, status, times, scores, latest agent and skill)."""

    conversation_id: str | None = None
    brand_id: str | None = None
    status: str | None = None
    full_dialog_status: str | None = None
    start_time: TimeText | None = None
    start_time_l: int | None = None
    end_time: TimeText | None = None
    end_time_l: int | None = None
    duration: int | None = None
    close_reason: str | None = None
    close_reason_description: str | None = None
    first_conversation: bool | None = None
    csat: int | None = None
    csat_rate: int | None = None
    mcs: int | None = None
    alerted_mcs: int | None = Field(default=None, alias="alertedMCS")
    source: str | None = None
    device: str | None = None
    browser: str | None = None
    operating_system: str | None = None
    latest_skill_id: Id | None = None
    latest_skill_name: str | None = None
    latest_agent_id: Id | None = None
    latest_agent_login_name: str | None = None
    latest_agent_nickname: str | None = None
    latest_agent_full_name: str | None = None
    agent_deleted: bool | None = None
    latest_agent_group_id: Id | None = None
    latest_agent_group_name: str | None = None
    latest_queue_state: str | None = None
    is_partial: bool | None = None


class CampaignInfo(WireModel):
    """``campaign``: the engagement, campaign, goal, visitor behavior/profile, LOB and location."""

    campaign_engagement_id: Id | None = None
    campaign_engagement_name: str | None = None
    campaign_id: Id | None = None
    campaign_name: str | None = None
    goal_id: Id | None = None
    goal_name: str | None = None
    engagement_agent_note: str | None = None
    engagement_source: str | None = None
    visitor_behavior_id: Id | None = None
    visitor_behavior_name: str | None = None
    engagement_application_id: str | None = None
    engagement_application_name: str | None = None
    engagement_application_type_id: str | None = None
    engagement_application_type_name: str | None = None
    visitor_profile_id: Id | None = None
    visitor_profile_name: str | None = None
    lob_id: Id | None = None
    lob_name: str | None = None
    location_id: Id | None = None
    location_name: str | None = None
    profile_system_default: bool | None = None
    behavior_system_default: bool | None = None


class MonitoringInfo(WireModel):
    """``monitoring``: where the consumer was (country, device, browser, start page...)."""

    country: str | None = None
    country_code: str | None = None
    state: str | None = None
    city: str | None = None
    isp: str | None = None
    org: str | None = None
    device: str | None = None
    ip_address: str | None = None
    browser: str | None = None
    operating_system: str | None = None
    conversation_start_page: str | None = None
    conversation_start_page_title: str | None = None


class MessageText(WireModel):
    """``messageData.msg``: ``text``."""

    text: str | None = None


class MessageFile(WireModel):
    """``messageData.file``: ``relativePath`` (the object-storage path), ``fileType``, ``caption``."""

    relative_path: str | None = None
    file_type: str | None = None
    caption: str | None = None


class MessageLink(WireModel):
    """``messageData.link``: ``externalFileLink`` and ``fileType``."""

    external_file_link: str | None = None
    file_type: str | None = None


class JsonContent(WireModel):
    """``messageData.richContent`` / ``messageData.quickReplies``: ``content``, a JSON-encoded string."""

    content: str | None = None


class MessageData(WireModel):
    """``messageData``: ``msg`` (text), ``file`` (hosted file), ``link``, ``richContent``, ``quickReplies``."""

    msg: MessageText | None = None
    file: MessageFile | None = None
    link: MessageLink | None = None
    rich_content: JsonContent | None = None
    quick_replies: JsonContent | None = None


class ContextData(WireModel):
    """``contextData``: ``rawMetadata`` (a JSON-encoded string) and ``structuredMetadata``."""

    raw_metadata: str | None = None
    structured_metadata: list[dict[str, Any]] | None = None


class MessageRecord(WireModel):
    """One message of the transcript (``messageRecords[]``).

    ``type`` is ``TEXT_PLAIN``, ``HOSTED_FILE``, ``RICH_CONTENT``, ...; ``time_l`` is epoch ms; ``sent_by`` is
    ``"Consumer"`` or ``"Agent"``.

    Example::

        message = MessageRecord(type="TEXT_PLAIN", message_data={"msg": {"text": "hi"}}, time_l=1, sent_by="Agent")
        message.text                                   # "hi"
        message.model_dump(by_alias=True)["messageData"]   # {"msg": {"text": "hi"}}
    """

    type: str | None = None
    message_data: MessageData | None = None
    message_id: str | None = None
    seq: int | str | None = None
    dialog_id: Id | None = None
    participant_id: Id | None = None
    source: str | None = None
    time: TimeText | None = None
    time_l: int | None = None
    device: str | None = None
    sent_by: str | None = None
    context_data: ContextData | None = None

    @property
    def text(self) -> str | None:
        """What a keyword scan reads: ``msg.text`` of a ``TEXT_PLAIN`` message, ``file.caption`` of a
        ``HOSTED_FILE`` (``""`` when missing); ``None`` for other types."""
        if self.type == TEXT_PLAIN:
            msg = self.message_data.msg if self.message_data is not None else None
            return (msg.text if msg is not None else None) or ""
        if self.type == HOSTED_FILE:
            file = self.message_data.file if self.message_data is not None else None
            return (file.caption if file is not None else None) or ""
        return None

    @property
    def relative_path(self) -> str | None:
        """``messageData.file.relativePath`` of a ``HOSTED_FILE`` message (``None`` otherwise or when absent)."""
        if self.type != HOSTED_FILE or self.message_data is None or self.message_data.file is None:
            return None
        return self.message_data.file.relative_path or None


class AgentParticipant(WireModel):
    """``agentParticipants[]`` (also ``agentParticipantsActive`` / ``agentParticipantsLeave``)."""

    agent_id: Id | None = None
    agent_login_name: str | None = None
    agent_nickname: str | None = None
    agent_full_name: str | None = None
    agent_deleted: bool | None = None
    time: TimeText | None = None
    time_l: int | None = None
    role: str | None = None
    user_type: Id | None = None
    user_type_name: str | None = None
    agent_group_id: Id | None = None
    agent_group_name: str | None = None
    permission: str | None = None
    dialog_id: Id | None = None
    context_data: ContextData | None = None


class ConsumerParticipant(WireModel):
    """``consumerParticipants[]``: the consumer's profile data as the conversation saw it."""

    participant_id: Id | None = None
    time: TimeText | None = None
    time_l: int | None = None
    join_time: TimeText | None = None
    join_time_l: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    consumer_name: str | None = None
    phone: str | None = None
    email: str | None = None
    token: str | None = Field(default=None, repr=False)
    avatar_url: str | None = Field(default=None, alias="avatarURL")
    dialog_id: Id | None = None


class Transfer(WireModel):
    """``transfers[]``: a transfer to another skill or agent."""

    time: TimeText | None = None
    time_l: int | None = None
    assigned_agent_id: Id | None = None
    assigned_agent_login_name: str | None = None
    assigned_agent_nickname: str | None = None
    assigned_agent_full_name: str | None = None
    target_skill_id: Id | None = None
    target_skill_name: str | None = None
    reason: str | None = None
    by: Id | None = None
    source_skill_id: Id | None = None
    source_skill_name: str | None = None
    source_agent_id: Id | None = None
    source_agent_full_name: str | None = None
    source_agent_login_name: str | None = None
    source_agent_nickname: str | None = None
    dialog_id: Id | None = None


class Interaction(WireModel):
    """``interactions[]``: an agent assignment."""

    assigned_agent_id: Id | None = None
    assigned_agent_full_name: str | None = None
    assigned_agent_login_name: str | None = None
    assigned_agent_nickname: str | None = None
    interaction_time: TimeText | None = None
    interaction_time_l: int | None = None
    interactive_sequence: int | None = None
    dialog_id: Id | None = None


class MessageScore(WireModel):
    """``messageScores[]``: the MCS after one message."""

    message_id: str | None = None
    message_raw_score: int | float | None = None
    mcs: int | float | None = None
    time: TimeText | None = None
    time_l: int | None = None


class MessageStatus(WireModel):
    """``messageStatuses[]``: a delivery status change (``ACCEPT``, ``READ``...)."""

    message_id: str | None = None
    seq: int | str | None = None
    time: TimeText | None = None
    time_l: int | None = None
    participant_id: Id | None = None
    participant_type: str | None = None
    message_delivery_status: str | None = None
    dialog_id: Id | None = None


class SurveyAnswer(WireModel):
    """One ``surveyData[]`` item: ``question`` and ``answer``."""

    question: str | None = None
    answer: Any = None


class ConversationSurvey(WireModel):
    """``conversationSurveys[]``."""

    survey_type: str | None = None
    survey_status: str | None = None
    dialog_id: Id | None = None
    survey_data: list[SurveyAnswer] | None = None


class CoBrowseSession(WireModel):
    """One CoBrowse session."""

    session_id: str | None = None
    start_time: TimeText | None = None
    start_time_l: int | None = None
    end_time: TimeText | None = None
    end_time_l: int | None = None
    interactive_time: TimeText | None = None
    interactive_time_l: int | None = None
    is_interactive: bool | None = None
    interactive: bool | None = None
    end_reason: str | None = None
    duration: int | None = None
    type: str | None = None
    capabilities: list[str] | None = None
    agent_id: Id | None = None


class CoBrowseSessions(WireModel):
    """``coBrowseSessions``: ``{"coBrowseSessionsList": [...]}``."""

    co_browse_sessions_list: list[CoBrowseSession] | None = None


class Summary(WireModel):
    """``summary``: ``text`` and ``lastUpdatedTime`` (epoch ms)."""

    text: str | None = None
    last_updated_time: int | None = None


class Dialog(WireModel):
    """``dialogs[]``."""

    dialog_id: Id | None = None
    status: str | None = None
    dialog_type: str | None = None
    dialog_channel_type: str | None = None
    start_time: TimeText | None = None
    start_time_l: int | None = None
    end_time: TimeText | None = None
    end_time_l: int | None = None
    close_reason: str | None = None
    close_reason_description: str | None = None
    skill_id: Id | None = None
    skill_name: str | None = None


class ResponseTime(WireModel):
    """``responseTime``: ``latestEffectiveResponseDueTime`` (epoch ms) and ``configuredResponseTime``."""

    latest_effective_response_due_time: int | None = None
    configured_response_time: int | None = None


class ConversationRecord(WireModel):
    """One ``conversationHistoryRecords[]`` item. Every part is optional (``contentToRetrieve`` selects them).

    Example::

        record = conv.first_record
        record.info.conversation_id
        [m.text for m in record.message_records or [] if m.text is not None]
        record.sdes.events if record.sdes else []
    """

    info: ConversationInfo | None = None
    campaign: CampaignInfo | None = None
    monitoring: MonitoringInfo | None = None
    message_records: list[MessageRecord] | None = None
    agent_participants: list[AgentParticipant] | None = None
    agent_participants_active: list[AgentParticipant] | None = None
    agent_participants_leave: list[AgentParticipant] | None = None
    consumer_participants: list[ConsumerParticipant] | None = None
    consumer_participant: list[ConsumerParticipant] | None = None  # the docs' example spells it so
    transfers: list[Transfer] | None = None
    interactions: list[Interaction] | None = None
    message_scores: list[MessageScore] | None = None
    message_score: list[MessageScore] | None = None  # the docs' example spells it so
    message_statuses: list[MessageStatus] | None = None
    conversation_surveys: list[ConversationSurvey] | None = None
    co_browse_sessions: CoBrowseSessions | None = None
    summary: Summary | None = None
    sdes: SDEList | None = None
    un_auth_sdes: SDEList | None = None
    dialogs: list[Dialog] | None = None
    response_time: ResponseTime | None = None

    @property
    def consumers(self) -> list[ConsumerParticipant]:
        """The consumer participants, whichever spelling (``consumerParticipants`` / ``consumerParticipant``)."""
        return [*(self.consumer_participants or ()), *(self.consumer_participant or ())]


class Conversation(WireModel):
    """A ``getConversationById`` answer: ``_metadata`` and ``conversationHistoryRecords`` (required).

    Example::

        conv = await tb.conversation_util().get_conversation_by_id("e5c58e49-...")
        conv.first_record.info.status                    # "OPEN"
        conv.model_dump(by_alias=True, mode="json")      # the wire JSON, unknown fields included
    """

    metadata: ConversationMetadata | None = Field(default=None, alias="_metadata")
    conversation_history_records: list[ConversationRecord]

    @property
    def first_record(self) -> ConversationRecord | None:
        """The first (for a by-id search: the only) record, or ``None`` when there is none."""
        records = self.conversation_history_records
        return records[0] if records else None
