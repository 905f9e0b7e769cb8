from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "ningju.coverage"
    label = "coverage"
    verbose_name = "组织覆盖"

    def ready(self):
        from ningju.core import hooks

        from . import rollup

        def _refresh(*, org_ids):
            rollup.refresh_for(org_ids)

        def _roster_imported(*, org_ids, person_ids=None, **_):
            from .services import match_after_roster_import

            match_after_roster_import(org_ids=org_ids, person_ids=person_ids)

        hooks.subscribe("people.changed", _refresh)
        hooks.subscribe("orgs.changed", _refresh)
        hooks.subscribe("rosters.imported", _roster_imported)
