"""Where models come from and how they are served: providers registered by name.

``foundry`` (Foundry Local through its SDK, one host process per started model, run by the
`HostPool` it is given) and ``openai`` (a server the user runs). Importing this package does
not import the Foundry Local SDK, and nothing here imports ``flperf.host``.
"""

from __future__ import annotations

from flperf.providers.catalog_model import CatalogListing, CatalogModel, ModelSource
from flperf.providers.errors import (
    DownloadCancelledError,
    EndpointUnreachableError,
    ModelAlreadyRegisteredError,
    ModelFolderError,
    ModelNotDownloadedError,
    ModelNotFoundError,
    ProviderError,
    ProviderUnavailableError,
    ServerStartError,
    UnknownProviderError,
)
from flperf.providers.foundry import FoundryProvider
from flperf.providers.host_pool import HostPool, ServingHost
from flperf.providers.local_models import DEMO_ALIAS, DEMO_MODEL_ID, validate_model_folder
from flperf.providers.openai import EndpointInfo, OpenAIProvider, probe_endpoint
from flperf.providers.registry import (
    HealthReport,
    LogLine,
    ModelTarget,
    Preparation,
    Provider,
    ServedModel,
    ServerProcess,
    provider_class,
    provider_names,
    register_provider,
)

__all__ = [
    "DEMO_ALIAS",
    "DEMO_MODEL_ID",
    "CatalogListing",
    "CatalogModel",
    "DownloadCancelledError",
    "EndpointInfo",
    "EndpointUnreachableError",
    "FoundryProvider",
    "HealthReport",
    "HostPool",
    "LogLine",
    "ModelAlreadyRegisteredError",
    "ModelFolderError",
    "ModelNotDownloadedError",
    "ModelNotFoundError",
    "ModelSource",
    "ModelTarget",
    "OpenAIProvider",
    "Preparation",
    "Provider",
    "ProviderError",
    "ProviderUnavailableError",
    "ServedModel",
    "ServerProcess",
    "ServerStartError",
    "ServingHost",
    "UnknownProviderError",
    "probe_endpoint",
    "provider_class",
    "provider_names",
    "register_provider",
    "validate_model_folder",
]
