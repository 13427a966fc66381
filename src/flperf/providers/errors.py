"""Errors the providers raise, each naming what went wrong in words a user can act on."""

from __future__ import annotations


class ProviderError(Exception):
    """Base class of every provider error."""


class ProviderUnavailableError(ProviderError):
    """The provider cannot run here (e.g. the Foundry Local SDK is not installed)."""


class UnknownProviderError(ProviderError):
    """No provider is registered under the requested name."""


class ModelNotFoundError(ProviderError):
    """No catalog knows the requested model id or alias."""


class ModelNotDownloadedError(ProviderError):
    """The model is in the public catalog but not in the local model cache."""


class ModelFolderError(ProviderError):
    """A folder offered as a local model is not a usable ONNX Runtime GenAI model.

    ``problems`` lists each missing or broken part.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(
            f"{path} is not a usable ONNX Runtime GenAI model folder: " + "; ".join(self.problems)
        )


class ModelAlreadyRegisteredError(ProviderError):
    """The model id is already registered for another folder."""


class ModelCacheBusyError(ProviderError):
    """The model cache folder cannot be switched now: models are served or downloading."""


class EndpointUnreachableError(ProviderError):
    """An OpenAI-compatible endpoint did not answer."""


class DownloadCancelledError(ProviderError):
    """A model download was cancelled before it finished."""


class ServerStartError(ProviderError):
    """A server process a provider runs did not come up.

    Raised as a subclass that sets ``kind`` (why in one word: ``model_not_found``,
    ``timeout``, ``exited``, ...), ``message`` (why in a sentence) and ``log_tail`` (the last
    lines the process printed).
    """

    kind: str
    message: str
    log_tail: list[str]
