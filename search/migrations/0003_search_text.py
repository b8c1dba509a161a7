from django.db import migrations, models


def move_texts(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # Check the new rows' keys now: deferred checks pending at the ALTER TABLE below would
        # stop it.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(
        "INSERT INTO search_searchtext (document_id, summary, text) "
        "SELECT id, summary, text FROM search_searchdocument"
    )


def move_texts_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(
        "UPDATE search_searchdocument SET summary = t.summary, text = t.text "
        "FROM search_searchtext t WHERE t.document_id = search_searchdocument.id"
    )


def compact(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Dropped columns keep their space until the table is rewritten: rewrite it (in this
    # transaction, unlike VACUUM FULL) so that a search scans the narrow rows at once.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CLUSTER search_searchdocument USING searchdocument_unique")


def bring_index_up_to_date(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The `public` mark (0002) is the apps' visibility functions' answer for an anonymous
    # visitor, which only the live code can give: an existing index is brought up to date
    # (marks and word list) by the same idempotent reindex the `search_reindex` command runs.
    # A new database has no documents yet.
    SearchDocument = apps.get_model("search", "SearchDocument")
    if not SearchDocument.objects.exists():
        return
    from search.indexing import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_public_words"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=models.deletion.CASCADE,
                        primary_key=True,
                        related_name="content",
                        serialize=False,
                        to="search.searchdocument",
                        verbose_name="søgedokument",
                    ),
                ),
                ("summary", models.TextField(blank=True, verbose_name="resumé")),
                ("text", models.TextField(blank=True, verbose_name="tekst")),
            ],
            options={
                "verbose_name": "søgetekst",
                "verbose_name_plural": "søgetekster",
            },
        ),
        migrations.RunPython(move_texts, move_texts_back),
        migrations.RemoveField(model_name="searchdocument", name="summary"),
        migrations.RemoveField(model_name="searchdocument", name="text"),
        migrations.RunPython(compact, migrations.RunPython.noop),
        migrations.RunPython(bring_index_up_to_date, migrations.RunPython.noop),
    ]
