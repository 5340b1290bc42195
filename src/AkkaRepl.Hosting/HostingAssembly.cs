namespace AkkaRepl.Hosting;

/// <summary>Marks the hosting assembly (the embedding API lives in this project).</summary>
internal static class HostingAssembly;
