<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>graft::DiffView</name>
    <message numerus="yes">
        <source>… (%n nodes)</source>
        <translation>
            <numerusform>… (%n node)</numerusform>
            <numerusform>… (%n nodes)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n model change(s)</source>
        <translation>
            <numerusform>%n model change</numerusform>
            <numerusform>%n model changes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::EditSession</name>
    <message numerus="yes">
        <source>Apply recipe (%n step(s))</source>
        <translation>
            <numerusform>Apply recipe (%n step)</numerusform>
            <numerusform>Apply recipe (%n steps)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::FindPanel</name>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n match</numerusform>
            <numerusform>%n matches</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::Format</name>
    <message numerus="yes">
        <source>Verified: max abs diff %1 on %n input set(s)</source>
        <translation>
            <numerusform>Verified: max abs diff %1 on %n input set</numerusform>
            <numerusform>Verified: max abs diff %1 on %n input sets</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::GraphCanvas</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n group</numerusform>
            <numerusform>%n groups</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::GraphView</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::MainWindow</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s)</source>
        <translation>
            <numerusform>%n problem</numerusform>
            <numerusform>%n problems</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 FLOPs, unknown for %n node(s)</source>
        <translation>
            <numerusform>%1 FLOPs, unknown for %n node</numerusform>
            <numerusform>%1 FLOPs, unknown for %n nodes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Wrote a recipe of %n step(s) to %1</source>
        <translation>
            <numerusform>Wrote a recipe of %n step to %1</numerusform>
            <numerusform>Wrote a recipe of %n steps to %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Saved the extracted model (%n node(s)) to %1</source>
        <translation>
            <numerusform>Saved the extracted model (%n node) to %1</numerusform>
            <numerusform>Saved the extracted model (%n nodes) to %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::ModelPropertiesPanel</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 in %n file(s)</source>
        <translation>
            <numerusform>%1 in %n file</numerusform>
            <numerusform>%1 in %n files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Op histogram (%n op type(s))</source>
        <translation>
            <numerusform>Op histogram (%n op type)</numerusform>
            <numerusform>Op histogram (%n op types)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::NodeDetailsPanel</name>
    <message numerus="yes">
        <source>(%n node(s))</source>
        <translation>
            <numerusform>(%n node)</numerusform>
            <numerusform>(%n nodes)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::QuantPanel</name>
    <message numerus="yes">
        <source>Output SQNR %1 dB on %n held-back sample(s)</source>
        <translation>
            <numerusform>Output SQNR %1 dB on %n held-back sample</numerusform>
            <numerusform>Output SQNR %1 dB on %n held-back samples</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::RewritePanel</name>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n match</numerusform>
            <numerusform>%n matches</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rule(s)</source>
        <translation>
            <numerusform>%n rule</numerusform>
            <numerusform>%n rules</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n block(s)</source>
        <translation>
            <numerusform>%n block</numerusform>
            <numerusform>%n blocks</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n backend fusion(s)</source>
        <translation>
            <numerusform>%n backend fusion</numerusform>
            <numerusform>%n backend fusions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n near miss(es)</source>
        <translation>
            <numerusform>%n near miss</numerusform>
            <numerusform>%n near misses</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::RewritePreviewDialog</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::RewriteSession</name>
    <message numerus="yes">
        <source>%n rewrite(s)</source>
        <translation>
            <numerusform>%n rewrite</numerusform>
            <numerusform>%n rewrites</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::RunPanel</name>
    <message numerus="yes">
        <source>Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.</source>
        <translation>
            <numerusform>Ran %n node in %1 s; peak activations %2. Click an edge or a tensor name to see its values.</numerusform>
            <numerusform>Ran %n nodes in %1 s; peak activations %2. Click an edge or a tensor name to see its values.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::ScenePainter</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform>
            <numerusform>%n nodes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n use(s)</source>
        <translation>
            <numerusform>%n use</numerusform>
            <numerusform>%n uses</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tensor(s)</source>
        <translation>
            <numerusform>%n tensor</numerusform>
            <numerusform>%n tensors</numerusform>
        </translation>
    </message>
</context>
</TS>
