namespace Skillmaker.Storage;

/// <summary>Indexes for the dashboard's catalog filters and image page (see <see cref="SqlCatalogBrowser"/>):
/// a set id or a label is found from its value, not by probing every image.</summary>
internal static class DashboardSchema
{
    public static readonly SchemaModule Module = new("dashboard",
    [
        new(1, "indexes for browsing the catalog by set id, date and label", """
            CREATE INDEX ix_image_fields_value ON image_fields(field, value, image_id);
            CREATE INDEX ix_labels_label ON labels(label, image_id);
            """),
        // The labels index is partial, so the planner never prefers it to ix_labels_label for a label filter; the
        // others cover their subqueries (read from the index alone).
        new(2, "indexes for the crowd-state filter: expert confirmations, crowd outcomes", """
            CREATE INDEX ix_labels_expert_confirmed ON labels(image_id) WHERE provenance = 'expert' AND status = 'confirmed';
            CREATE INDEX ix_crowd_results_outcome ON crowd_results(outcome, image_id);
            CREATE INDEX ix_crowd_tasks_state ON crowd_tasks(status, answer_count, image_id);
            """),
    ]);
}
