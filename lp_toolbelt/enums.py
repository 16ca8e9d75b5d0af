"""String enums with LivePerson's wire values (``LpServices.MSG_HIST == "msgHist"``)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ConversationContentTypes", "LpServices", "SDETypes"]


class LpServices(StrEnum):
    """CSDS service names. Any other CSDS name may be passed as a plain string."""

    MSG_HIST = "msgHist"
    AGENT_VEP = "agentVep"
    ACCOUNT_CONFIG_READ_ONLY = "accountConfigReadOnly"
    ACCOUNT_CONFIG_READ_WRITE = "accountConfigReadWrite"
    ASYNC_MESSAGING = "asyncMessaging"
    ASYNC_MESSAGING_EN = "asyncMessagingEnt"
    ENG_HIST_DOMAIN = "engHistDomain"
    RTBF = "rtbf"
    AUDITLOG = "auditLog"
    SMT = "smt"
    PUSHER = "pusher"
    LE_DATA_REPORTING = "leDataReporting"
    MSG_EWT_API = "msgEwtAPI"
    MSDKGW = "msdkgw"


class ConversationContentTypes(StrEnum):
    """Parts of a conversation record the Messaging Interactions API can return (``contentToRetrieve``)."""

    INFO = "info"
    SDES = "sdes"
    UNAUTH_SDES = "unAuthSdes"
    CAMPAIGN = "campaign"
    MESSAGE_RECORDS = "messageRecords"
    AGENT_PARTICIPANTS = "agentParticipants"
    AGENT_PARTICIPANTS_ACTIVE = "agentParticipantsActive"
    CONSUMER_PARTICIPANTS = "consumerParticipants"
    TRANSFERS = "transfers"
    INTERACTIONS = "interactions"
    MESSAGE_SCORES = "messageScores"
    MESSAGE_STATUSES = "messageStatuses"
    SKILL_CHANGES = "skillChanges"
    CONVERSATION_SURVEYS = "conversationSurveys"
    AGENT_PARTICIPANTS_LEAVE = "agentParticipantsLeave"
    COBROWSE_SESSIONS = "coBrowseSessions"
    SUMMARY = "summary"
    MONITORING = "monitoring"
    DIALOGS = "dialogs"
    RESPONSE_TIME = "responseTime"
    INTENTS = "intents"
    UNIQUE_INTENTS = "uniqueIntents"
    LATEST_AGENT_SURVEY = "latestAgentSurvey"
    PREVIOUSLY_SUBMITTED_AGENT_SURVEYS = "previouslySubmittedAgentSurveys"


class SDETypes(StrEnum):
    """Engagement attribute (SDE) types, as the SMT API names them."""

    CART = "cart"
    TRANSACTION = "purchase"
    VIEWED_PRODUCT = "prodView"
    CUSTOMER_INFO = "ctmrinfo"
    MARKETING_SOURCE = "mrktInfo"
    PERSONAL_INFO = "personal"
    LEAD = "lead"
    SERVICE_ACTIVITY = "service"
    VISITOR_ERROR = "error"
    SEARCHED_CONTENT = "searchInfo"
    ORDER_ID = "orderId"
