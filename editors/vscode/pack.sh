#!/usr/bin/env bash
# pack.sh OUT.vsix: package the extension without network access.
# A .vsix is a zip holding extension.vsixmanifest, [Content_Types].xml and the
# extension's files under extension/ (the Open Packaging Conventions layout
# VS Code's installer reads; the manifest's Identity must match package.json).
set -euo pipefail
out=$(realpath -m "$1")
src=$(cd "$(dirname "$0")" && pwd)
stage=$(dirname "$out")/stage
rm -rf "$stage" "$out"
mkdir -p "$stage/extension/bin"
cp "$src/package.json" "$src/extension.js" "$src/ebpf.js" "$src/osconsole.js" "$src/pagetable.js" "$src/README.md" "$stage/extension/"
cp "$src/bin/osdbg-dap" "$stage/extension/bin/"

field() { node -p "require('$src/package.json').$1"; }
cat >"$stage/extension.vsixmanifest" <<XML
<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="$(field name)" Version="$(field version)" Publisher="$(field publisher)"/>
    <DisplayName>$(field displayName)</DisplayName>
    <Description xml:space="preserve">$(field description)</Description>
    <Categories>Debuggers</Categories>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="$(field engines.vscode)"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace"/>
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code"/>
  </Installation>
  <Dependencies/>
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/>
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true"/>
  </Assets>
</PackageManifest>
XML
cat >"$stage/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json"/>
  <Default Extension=".js" ContentType="application/javascript"/>
  <Default Extension=".md" ContentType="text/markdown"/>
  <Default Extension=".vsixmanifest" ContentType="text/xml"/>
</Types>
XML
(cd "$stage" && zip -q -X -r "$out" '[Content_Types].xml' extension.vsixmanifest extension)
rm -rf "$stage"
