"""ModelCacheService: Foundry Local's model cache folder, the models in it, and switching it.

Downloaded models are large, so people keep them on another disk. The chosen folder is kept in
the data folder, so it outlives restarts and every host process this server starts uses it too.
A switch is refused (409) while anything uses the cache: a Foundry model served or starting, a
download, or a benchmark run queued or running with a Foundry model (its next model would be
looked for in the other folder). Stop those first; nothing is stopped on the user's behalf.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field

from flperf.providers import CatalogModel, FoundryProvider, UnknownProviderError, provider_class
from flperf.providers.errors import ModelCacheBusyError
from flperf.providers.model_cache import CacheFolderError, ModelCacheLocation
from flperf.service.errors import ConflictError, InvalidInputError, UnavailableError
from flperf.service.logbook import Logbook
from flperf.service.providers import ProviderSet
from flperf.store import Database
from flperf.store.models_repo import get_model
from flperf.store.runs_repo import runs_with_status

DEFAULT_KEYWORD = "default"
"""The `path` that switches back to the default folder (as in the original web client)."""


class CacheLocationView(BaseModel):
    """Where Foundry Local keeps its models (field names of the original web client)."""

    location: str = Field(description="The model cache folder in use")
    defaultPath: str = Field(
        description="The folder used unless another is chosen: `<data folder>/foundry/models`"
    )
    isDefault: bool = Field(description="`location` is the default folder")

    @classmethod
    def of(cls, where: ModelCacheLocation) -> Self:
        return cls(
            location=str(where.location),
            defaultPath=str(where.default),
            isDefault=where.is_default,
        )


class CacheSwitchView(CacheLocationView):
    """The answer to a switch: the folder now in use."""

    success: bool = True


class CacheModelsView(BaseModel):
    """The models of the model cache in use."""

    models: list[CatalogModel] = Field(
        description="Registered folders and the demo model (its LOCAL catalog; `isCustom` true), "
        "then public-catalog models downloaded into it; `description` is never empty here"
    )
    count: int
    location: str = Field(description="The folder they are in")
    public_catalog: str = Field(
        description="fresh, stale, loading or unavailable: downloaded catalog models are known "
        "from the public catalog"
    )
    message: str | None = Field(default=None, description="Why the listing may be incomplete")


class ModelCacheService:
    """Everything the API, CLI and web UI do with Foundry Local's model cache folder."""

    def __init__(self, db: Database, providers: ProviderSet, logbook: Logbook) -> None:
        self._db = db
        self._providers = providers
        self._logbook = logbook

    def location(self) -> CacheLocationView:
        """The folder in use and the default one (needs no runtime)."""
        return CacheLocationView.of(self._providers.foundry.model_cache_location())

    def models(self) -> CacheModelsView:
        """The models found in the folder in use (empty, with the reason, when Foundry Local
        cannot be used here)."""
        foundry = self._providers.foundry
        location = str(foundry.model_cache_location().location)
        try:
            listing = foundry.cache_models()
        except Exception as exc:  # the SDK or its native runtime may fail in many ways
            return CacheModelsView(
                models=[],
                count=0,
                location=location,
                public_catalog="unavailable",
                message=f"Foundry Local: {exc}",
            )
        models = [
            m.model_copy(update={"description": m.description or m.display_name or m.alias})
            for m in listing.models
        ]
        message = listing.message
        if listing.public_catalog == "unavailable":
            message = (
                f"{listing.message or 'public catalog unavailable'}: catalog models downloaded "
                "into this folder are listed once it has been reached"
            )
        return CacheModelsView(
            models=models,
            count=len(models),
            location=location,
            public_catalog=listing.public_catalog,
            message=message,
        )

    def switch(self, path: str) -> CacheSwitchView:
        """Use the folder `path` (absolute or `~`; created when missing; must be writable), or
        the default one for `"default"`. Raises `InvalidInputError` (the folder),
        `ConflictError` (the cache is in use) or `UnavailableError` (Foundry Local could not
        open the folder; the previous one stays)."""
        folder = None if path.strip() == DEFAULT_KEYWORD else path
        self._refuse_during_foundry_runs()
        foundry = self._providers.foundry
        before = foundry.model_cache_location().location
        try:
            where = foundry.switch_model_cache(folder)
        except CacheFolderError as exc:
            raise InvalidInputError("path", str(exc)) from exc
        except ModelCacheBusyError as exc:
            raise ConflictError(str(exc)) from exc
        except Exception as exc:  # the SDK or its native runtime may fail in many ways
            raise UnavailableError(
                f"Foundry Local could not use that model cache ({exc}); it stays at {before}"
            ) from exc
        self._logbook.write(
            "system",
            None,
            "info",
            f"Foundry Local model cache switched from {before} to "
            f"{where.location}" + (" (the default)" if where.is_default else ""),
        )
        return CacheSwitchView.of(where)

    def _refuse_during_foundry_runs(self) -> None:
        with self._db.read() as session:
            for run in runs_with_status(session, ("queued", "running")):
                rows = [get_model(session, str(m), include_deleted=True) for m in run.model_ids]
                if any(row is not None and _uses_the_cache(row.provider) for row in rows):
                    raise ConflictError(
                        f"the model cache cannot be switched while run {run.id} ({run.status}) "
                        "has Foundry Local models to serve: wait for it or cancel it"
                    )


def _uses_the_cache(provider: str) -> bool:
    """Models of this provider are served from Foundry Local's model cache."""
    try:
        return issubclass(provider_class(provider), FoundryProvider)
    except UnknownProviderError:  # a row of a provider this version no longer has
        return False
