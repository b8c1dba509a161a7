from django.db import migrations, models


def create_postgres_objects(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS search_word_trgm "
        "ON search_searchword USING gin (word gin_trgm_ops)"
    )
    # The facet columns are far from independent (a body's documents have few years and
    # municipalities): without this the planner expects thousands of facet groups where there
    # are a few hundred, and will not count them in parallel.
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS search_doc_facets (ndistinct) "
        "ON kind, body_id, year, municipality_id FROM search_searchdocument"
    )


def drop_postgres_objects(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP STATISTICS IF EXISTS search_doc_facets")
    schema_editor.execute("DROP INDEX IF EXISTS search_word_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="public",
            field=models.BooleanField(default=False, verbose_name="offentlig"),
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=60, unique=True, verbose_name="ord")),
            ],
            options={
                "verbose_name": "søgeord",
                "verbose_name_plural": "søgeord",
            },
        ),
        migrations.RunPython(create_postgres_objects, drop_postgres_objects),
    ]
