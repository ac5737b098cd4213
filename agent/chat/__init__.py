"""The conversational chat session."""

from .schemas import COSTLY, ChatAction, ChatTurn
from .session import ChatSession

__all__ = ["COSTLY", "ChatAction", "ChatSession", "ChatTurn"]
