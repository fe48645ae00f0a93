"""SW3, the SAM's status byte: success codes and one typed error per failure code.

``90`` success and ``9F`` find success are the only good answers; ``80`` (no card) and ``91`` (no
content) are ordinary answers to find and to the appended-address read, which the client turns
into ``False`` / ``None`` before anything is raised. Every other code is an error whose message a
staff member can act on.
"""

from __future__ import annotations

from readers.errors import ReaderError

SUCCESS = 0x90
FIND_OK = 0x9F


class SamStatusError(ReaderError):
    """The SAM answered a failure code; ``sw3`` holds it."""

    sw3: int = -1
    text: str = "unknown SAM status"

    def __init__(self, command: str = "") -> None:
        self.command = command
        where = f" to {command}" if command else ""
        super().__init__(f"SAM status {self.sw3:02X}{where}: {self.text}")


class NoCardError(SamStatusError):
    sw3, text = 0x80, "no card found (未找到卡)"


class SelectFailedError(SamStatusError):
    sw3, text = 0x81, "card select failed (选卡失败)"


class ReadFailedError(SamStatusError):
    sw3, text = 0x41, "card read failed — card moved or taken away? (读卡失败)"


class SamChecksumError(SamStatusError):
    sw3, text = 0x10, "SAM got a frame with a bad checksum (校验和错)"


class SamLengthError(SamStatusError):
    sw3, text = 0x11, "SAM got a frame with a bad length (长度错)"


class UnknownCommandError(SamStatusError):
    sw3, text = 0x21, "SAM does not know this command (命令无法识别)"


class UnauthorizedError(SamStatusError):
    sw3, text = 0x23, "operation not authorised (越权操作)"


class SamUnknownError(SamStatusError):
    sw3, text = 0x24, "SAM reports an unknown error (无法识别的错误)"


class CardAuthSamError(SamStatusError):
    sw3, text = 0x31, "card failed to authenticate the SAM (卡认证机具失败)"


class SamAuthCardError(SamStatusError):
    sw3, text = 0x32, "SAM failed to authenticate the card — not a genuine card? (机具认证卡失败)"


class InfoCheckError(SamStatusError):
    sw3, text = 0x33, "card information check failed (信息验证失败)"


class UnknownCardTypeError(SamStatusError):
    sw3, text = 0x40, "unknown card type (无法识别的卡类型)"


class RandomFailedError(SamStatusError):
    sw3, text = 0x47, "get-random failed (取随机数失败)"


class SelfTestError(SamStatusError):
    sw3, text = 0x60, "SAM self-test failed — the module needs service (自检失败)"


class SamNotAuthorizedError(SamStatusError):
    sw3, text = 0x66, "SAM not authorised — the module needs service (SAM 未经授权)"


class NoContentError(SamStatusError):
    sw3, text = 0x91, "no content (无内容)"


ERRORS: dict[int, type[SamStatusError]] = {
    cls.sw3: cls
    for cls in (
        NoCardError,
        SelectFailedError,
        ReadFailedError,
        SamChecksumError,
        SamLengthError,
        UnknownCommandError,
        UnauthorizedError,
        SamUnknownError,
        CardAuthSamError,
        SamAuthCardError,
        InfoCheckError,
        UnknownCardTypeError,
        RandomFailedError,
        SelfTestError,
        SamNotAuthorizedError,
        NoContentError,
    )
}


class UndocumentedStatusError(SamStatusError):
    """A code the protocol notes do not list."""

    text = "status code not in the protocol notes"

    def __init__(self, sw3: int, command: str = "") -> None:
        self.sw3 = sw3
        super().__init__(command)


def status_error(sw3: int, command: str = "") -> SamStatusError:
    """The typed error for a failure code (``UndocumentedStatusError`` for unlisted codes)."""
    cls = ERRORS.get(sw3)
    return cls(command) if cls is not None else UndocumentedStatusError(sw3, command)
