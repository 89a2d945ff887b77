namespace Skillmaker.Storage;

/// <summary>Every module, in the order they are applied (a module may reference tables of earlier ones).
/// Each is defined once for all engines; the dialect spells what differs.</summary>
internal static class SqlSchema
{
    public static IReadOnlyList<SchemaModule> Modules(SchemaDialect sql) =>
    [
        CatalogSchema.Module(sql),
        DatasetSchema.Module(sql),
        CrowdSchema.Module(sql),
        UsersSchema.Module(sql),
        RegistrySchema.Module(sql),
        DetectionSchema.Module,
        ApiKeySchema.Module,
        SourcesSchema.Module(sql),
        JobsSchema.Module,
        SkillIndexSchema.Module,
        DashboardSchema.Module,
        CrowdSchema.InstructionsModule,
        ArtefactSchema.Module,
        ShadowSchema.Module,
    ];
}
