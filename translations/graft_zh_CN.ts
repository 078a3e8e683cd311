<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>graft</name>
    <message>
        <source>Checked by the onnx checker and shape inference; outputs not compared</source>
        <translation>已由 onnx 检查器和形状推断检查；未比较输出</translation>
    </message>
    <message>
        <source>Not verified</source>
        <translation>未验证</translation>
    </message>
</context>
<context>
    <name>graft::AttributeTable</name>
    <message>
        <source>Attribute</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Double-click a value to change it (3, 0.5, 1,2,3 or text); clear it to remove the attribute</source>
        <translation>双击值进行修改（3、0.5、1,2,3 或文本）；清空即删除该属性</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>not set; default %1</source>
        <translation>未设置；默认 %1</translation>
    </message>
</context>
<context>
    <name>graft::DiffView</name>
    <message>
        <source>same</source>
        <translation>相同</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>已更改</translation>
    </message>
    <message>
        <source>added</source>
        <translation>新增</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>已删除</translation>
    </message>
    <message>
        <source>fused</source>
        <translation>已融合</translation>
    </message>
    <message>
        <source>split</source>
        <translation>已拆分</translation>
    </message>
    <message numerus="yes">
        <source>… (%n nodes)</source>
        <translation>
            <numerusform>…（%n 个节点）</numerusform>
        </translation>
    </message>
    <message>
        <source>(root)</source>
        <translation>（根）</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>算子</translation>
    </message>
    <message>
        <source>Node in A</source>
        <translation>A 中的节点</translation>
    </message>
    <message>
        <source>Node in B</source>
        <translation>B 中的节点</translation>
    </message>
    <message>
        <source>Scope</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>更改</translation>
    </message>
    <message>
        <source>Changes only</source>
        <translation>仅显示更改</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>所有类型</translation>
    </message>
    <message>
        <source>All scopes</source>
        <translation>所有范围</translation>
    </message>
    <message>
        <source>Numeric</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Colour nodes by the error of their output after a numeric run</source>
        <translation>数值运行后按节点输出误差着色</translation>
    </message>
    <message>
        <source>Run Numeric Diff</source>
        <translation>运行数值比较</translation>
    </message>
    <message>
        <source>Run both models on the same seeded inputs and compare every paired value</source>
        <translation>用相同的固定种子输入运行两个模型，并比较每个配对的值</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <source>Scope:</source>
        <translation>范围：</translation>
    </message>
    <message>
        <source>(in memory)</source>
        <translation>（内存中）</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>%1 same</source>
        <translation>%1 相同</translation>
    </message>
    <message>
        <source>%1 changed</source>
        <translation>%1 更改</translation>
    </message>
    <message>
        <source>%1 added</source>
        <translation>%1 新增</translation>
    </message>
    <message>
        <source>%1 removed</source>
        <translation>%1 删除</translation>
    </message>
    <message>
        <source>%1 fused</source>
        <translation>%1 融合</translation>
    </message>
    <message>
        <source>%1 split</source>
        <translation>%1 拆分</translation>
    </message>
    <message>
        <source>weights: %1 changed, %2 added, %3 removed</source>
        <translation>权重：%1 更改，%2 新增，%3 删除</translation>
    </message>
    <message>
        <source>%1 of %2 nodes of A paired</source>
        <translation>A 的 %2 个节点中有 %1 个已配对</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n model change(s)</source>
        <translation>
            <numerusform>%n 项模型更改</numerusform>
        </translation>
    </message>
    <message>
        <source>Numbers part first at &lt;b&gt;%1&lt;/b&gt; (%2), max abs %3</source>
        <translation>数值最先在 &lt;b&gt;%1&lt;/b&gt;（%2）处出现差异，最大绝对差 %3</translation>
    </message>
    <message>
        <source>Every paired value is within tolerance.</source>
        <translation>所有配对的值都在容差内。</translation>
    </message>
    <message>
        <source>The numeric diff failed: %1</source>
        <translation>数值比较失败：%1</translation>
    </message>
    <message>
        <source>max abs error %1</source>
        <translation>最大绝对误差 %1</translation>
    </message>
    <message>
        <source>Another diff was shown before the numeric diff finished.</source>
        <translation>数值比较完成前已显示另一个比较。</translation>
    </message>
</context>
<context>
    <name>graft::EditSession</name>
    <message>
        <source>There is no model to edit: open one first.</source>
        <translation>没有可编辑的模型：请先打开一个。</translation>
    </message>
    <message>
        <source>The model is being analysed or rewritten; try again when that has finished.</source>
        <translation>模型正在分析或改写；完成后请重试。</translation>
    </message>
    <message numerus="yes">
        <source>Apply recipe (%n step(s))</source>
        <translation>
            <numerusform>应用配方（%n 步）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::FindPanel</name>
    <message>
        <source>Find a node by name, op type or tensor name</source>
        <translation>按名称、算子类型或张量名称查找节点</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>关闭 (Esc)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n 个匹配</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::Format</name>
    <message>
        <source>subgraph</source>
        <translation>子图</translation>
    </message>
    <message>
        <source>subgraphs</source>
        <translation>子图</translation>
    </message>
    <message>
        <source>sparse %1</source>
        <translation>稀疏 %1</translation>
    </message>
    <message>
        <source>type</source>
        <translation>类型</translation>
    </message>
    <message numerus="yes">
        <source>Verified: max abs diff %1 on %n input set(s)</source>
        <translation>
            <numerusform>已验证：在 %n 组输入上最大绝对差 %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::GraphCanvas</name>
    <message>
        <source>scalar</source>
        <translation>标量</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <source>Fit the graph in the view (F)</source>
        <translation>使整个图适应视图 (F)</translation>
    </message>
    <message>
        <source>100%</source>
        <translation>100%</translation>
    </message>
    <message>
        <source>Actual size (1)</source>
        <translation>实际大小 (1)</translation>
    </message>
    <message>
        <source>Expand all</source>
        <translation>全部展开</translation>
    </message>
    <message>
        <source>Open every group</source>
        <translation>打开所有分组</translation>
    </message>
    <message>
        <source>Collapse all</source>
        <translation>全部折叠</translation>
    </message>
    <message>
        <source>Close every group</source>
        <translation>关闭所有分组</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>Find a node (Ctrl+F)</source>
        <translation>查找节点 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Laying out…</source>
        <translation>正在布局…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Layout failed</source>
        <translation>布局失败</translation>
    </message>
    <message>
        <source>main graph</source>
        <translation>主图</translation>
    </message>
    <message>
        <source>produces %1</source>
        <translation>生成 %1</translation>
    </message>
    <message>
        <source>reads %1</source>
        <translation>读取 %1</translation>
    </message>
    <message>
        <source> (in %1)</source>
        <translation>（位于 %1）</translation>
    </message>
    <message>
        <source>There is no graph to export: open a model first.</source>
        <translation>没有可导出的图：请先打开模型。</translation>
    </message>
    <message>
        <source>Could not write %1: check that the folder exists and is writable.</source>
        <translation>无法写入 %1：请检查文件夹是否存在且可写。</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n 个分组</numerusform>
        </translation>
    </message>
    <message>
        <source>shape computation</source>
        <translation>形状计算</translation>
    </message>
    <message>
        <source>There is no selection to export: click a node or a group first.</source>
        <translation>没有可导出的所选内容：请先单击一个节点或分组。</translation>
    </message>
</context>
<context>
    <name>graft::GraphView</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::HistogramView</name>
    <message>
        <source>No histogram</source>
        <translation>无直方图</translation>
    </message>
    <message>
        <source>count (√ scale)</source>
        <translation>计数（平方根刻度）</translation>
    </message>
</context>
<context>
    <name>graft::InputShapeTable</name>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>Double-click a type (float32, float16, int64, …) or a shape (1x3x224x224, batchx3x?x?) to change it</source>
        <translation>双击类型（float32、float16、int64…）或形状（1x3x224x224、batchx3x?x?）进行修改</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an element type (float32, float16, int64, int32, uint8, bool, …)</source>
        <translation>“%1”不是元素类型（float32、float16、int64、int32、uint8、bool…）</translation>
    </message>
</context>
<context>
    <name>graft::MainWindow</name>
    <message>
        <source>Graph</source>
        <translation>计算图</translation>
    </message>
    <message>
        <source>Open an ONNX model to inspect it</source>
        <translation>打开一个 ONNX 模型以查看它</translation>
    </message>
    <message>
        <source>Use File → Open (%1), drop a .onnx file on this window, or pick one from File → Open Recent.</source>
        <translation>使用“文件 → 打开”（%1），把 .onnx 文件拖到此窗口，或从“文件 → 最近打开”中选择。</translation>
    </message>
    <message>
        <source>Open Model…</source>
        <translation>打开模型…</translation>
    </message>
    <message>
        <source>Filter nodes by name, op type or tensor name</source>
        <translation>按名称、算子类型或张量名称筛选节点</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>Re&amp;load</source>
        <translation>重新加载(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Filter Nodes</source>
        <translation>筛选节点(&amp;F)</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Graft</source>
        <translation>关于 Graft(&amp;A)</translation>
    </message>
    <message>
        <source>About Graft</source>
        <translation>关于 Graft</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>关于 Qt(&amp;Q)</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Opening %1…</source>
        <translation>正在打开 %1…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Open Model</source>
        <translation>打开模型</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx);;All files (*)</source>
        <translation>ONNX 模型 (*.onnx);;所有文件 (*)</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 parameters</source>
        <translation>%1 个参数</translation>
    </message>
    <message>
        <source>%1 FLOPs</source>
        <translation>%1 FLOPs</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s)</source>
        <translation>
            <numerusform>%n 个问题</numerusform>
        </translation>
    </message>
    <message>
        <source>no problems</source>
        <translation>没有问题</translation>
    </message>
    <message>
        <source>Could not open %1; still showing %2.</source>
        <translation>无法打开 %1；仍显示 %2。</translation>
    </message>
    <message>
        <source>Could not open %1.</source>
        <translation>无法打开 %1。</translation>
    </message>
    <message>
        <source>Could not open model</source>
        <translation>无法打开模型</translation>
    </message>
    <message>
        <source>Graft could not open %1.</source>
        <translation>Graft 无法打开 %1。</translation>
    </message>
    <message>
        <source>Opening %1 was cancelled.</source>
        <translation>已取消打开 %1。</translation>
    </message>
    <message>
        <source>No recent files</source>
        <translation>没有最近打开的文件</translation>
    </message>
    <message>
        <source>&amp;Clear Recent Files</source>
        <translation>清除最近文件(&amp;C)</translation>
    </message>
    <message>
        <source>%1 of %2 nodes</source>
        <translation>%1 / %2 个节点</translation>
    </message>
    <message>
        <source>Graft</source>
        <translation>Graft</translation>
    </message>
    <message>
        <source>FLOPs unknown</source>
        <translation>FLOPs 未知</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Run Model</source>
        <translation>运行模型(&amp;R)</translation>
    </message>
    <message>
        <source>Ctrl+R</source>
        <translation>Ctrl+R</translation>
    </message>
    <message>
        <source>Run the model on the CPU with random or loaded inputs, keeping every tensor&apos;s values</source>
        <translation>在 CPU 上用随机或加载的输入运行模型，并保留每个张量的数值</translation>
    </message>
    <message>
        <source>&amp;Load Inputs…</source>
        <translation>加载输入(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Cancel Run</source>
        <translation>取消运行(&amp;C)</translation>
    </message>
    <message>
        <source>%1[*] — Graft</source>
        <translation>%1[*] — Graft</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Backend: </source>
        <translation>后端：</translation>
    </message>
    <message>
        <source>The backend whose rules are matched on the model; its profile says what it fuses and what blocks it</source>
        <translation>在模型上匹配其规则的后端；其配置文件说明它会融合什么、什么会阻碍它</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Load Profile File…</source>
        <translation>加载配置文件…</translation>
    </message>
    <message>
        <source>Load Rule File…</source>
        <translation>加载规则文件…</translation>
    </message>
    <message>
        <source>Load Rule File</source>
        <translation>加载规则文件</translation>
    </message>
    <message>
        <source>Rule files (*.rules);;All files (*)</source>
        <translation>规则文件 (*.rules);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not load the rule file</source>
        <translation>无法加载规则文件</translation>
    </message>
    <message>
        <source>Load Backend Profile</source>
        <translation>加载后端配置文件</translation>
    </message>
    <message>
        <source>Backend profiles (*.profile);;All files (*)</source>
        <translation>后端配置文件 (*.profile);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not load the profile</source>
        <translation>无法加载配置文件</translation>
    </message>
    <message>
        <source>Rewrite</source>
        <translation>改写</translation>
    </message>
    <message>
        <source>Opened model</source>
        <translation>打开的模型</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Undo %1</source>
        <translation>撤销 %1(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo %1</source>
        <translation>重做 %1(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>The rewrite was not applied</source>
        <translation>改写未应用</translation>
    </message>
    <message>
        <source>There is no model to save: open one first.</source>
        <translation>没有可保存的模型：请先打开一个。</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Could not save the model</source>
        <translation>无法保存模型</translation>
    </message>
    <message>
        <source>Save Model As</source>
        <translation>模型另存为</translation>
    </message>
    <message>
        <source>analysing…</source>
        <translation>正在分析…</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>%1 has rewrites that are not saved.</source>
        <translation>%1 有尚未保存的改写。</translation>
    </message>
    <message>
        <source>Save them before going on, discard them, or cancel and keep working?</source>
        <translation>继续之前保存它们、放弃它们，还是取消并继续工作？</translation>
    </message>
    <message>
        <source>Saving %1…</source>
        <translation>正在保存 %1…</translation>
    </message>
    <message>
        <source>Saving was cancelled; %1 is as it was.</source>
        <translation>已取消保存；%1 保持原样。</translation>
    </message>
    <message>
        <source>Could not save the model; %1 is as it was.</source>
        <translation>无法保存模型；%1 保持原样。</translation>
    </message>
    <message>
        <source>A save is still running; try again when it has finished.</source>
        <translation>仍在保存；请在完成后重试。</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message numerus="yes">
        <source>%1 FLOPs, unknown for %n node(s)</source>
        <translation>
            <numerusform>%1 FLOPs，%n 个节点未知</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Export Graph</source>
        <translation>导出图(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Whole Graph…</source>
        <translation>整个图(&amp;W)…</translation>
    </message>
    <message>
        <source>&amp;Visible Part…</source>
        <translation>可见部分(&amp;V)…</translation>
    </message>
    <message>
        <source>&amp;Selection…</source>
        <translation>所选内容(&amp;S)…</translation>
    </message>
    <message>
        <source>Ctrl+E</source>
        <translation>Ctrl+E</translation>
    </message>
    <message>
        <source>Export Graph</source>
        <translation>导出图</translation>
    </message>
    <message>
        <source>SVG image (*.svg);;PNG image (*.png)</source>
        <translation>SVG 图像 (*.svg);;PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Exported the graph to %1</source>
        <translation>已将图导出到 %1</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>缩小(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Actual Size</source>
        <translation>实际大小(&amp;A)</translation>
    </message>
    <message>
        <source>Ctrl+0</source>
        <translation>Ctrl+0</translation>
    </message>
    <message>
        <source>&amp;Fit Graph</source>
        <translation>适应窗口(&amp;F)</translation>
    </message>
    <message>
        <source>Ctrl+Shift+F</source>
        <translation>Ctrl+Shift+F</translation>
    </message>
    <message>
        <source>E&amp;xpand All Groups</source>
        <translation>展开所有分组(&amp;X)</translation>
    </message>
    <message>
        <source>&amp;Collapse All Groups</source>
        <translation>折叠所有分组(&amp;C)</translation>
    </message>
    <message>
        <source>Fold &amp;Constants</source>
        <translation>折叠常量(&amp;C)</translation>
    </message>
    <message>
        <source>Draw Constant nodes as badges on the nodes that read them, like weights</source>
        <translation>像权重一样，将 Constant 节点画成读取它们的节点上的标记</translation>
    </message>
    <message>
        <source>Collapse &amp;Shape Computations</source>
        <translation>折叠形状计算(&amp;S)</translation>
    </message>
    <message>
        <source>Draw each chain of Shape, Gather, Unsqueeze, Concat… that computes a shape as one box</source>
        <translation>将每条计算形状的 Shape、Gather、Unsqueeze、Concat… 链画成一个框</translation>
    </message>
    <message>
        <source>&amp;Edge Labels</source>
        <translation>边标签(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Minimap</source>
        <translation>小地图(&amp;M)</translation>
    </message>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Graph: zoom in / out</source>
        <translation>图：放大 / 缩小</translation>
    </message>
    <message>
        <source>Graph: fit / 100%</source>
        <translation>图：适应窗口 / 100%</translation>
    </message>
    <message>
        <source>Graph: move between nodes</source>
        <translation>图：在节点间移动</translation>
    </message>
    <message>
        <source>Arrow keys</source>
        <translation>方向键</translation>
    </message>
    <message>
        <source>Graph: open a group or subgraph / go back</source>
        <translation>图：打开分组或子图 / 返回</translation>
    </message>
    <message>
        <source>Enter, Backspace</source>
        <translation>Enter、Backspace</translation>
    </message>
    <message>
        <source>Graph: pan</source>
        <translation>图：平移</translation>
    </message>
    <message>
        <source>Space + drag, Page Up, Page Down</source>
        <translation>空格 + 拖动、Page Up、Page Down</translation>
    </message>
    <message>
        <source>Quantize</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Quantization failed</source>
        <translation>量化失败</translation>
    </message>
    <message>
        <source>&amp;Diff With…</source>
        <translation>与…比较(&amp;D)</translation>
    </message>
    <message>
        <source>Compare the open model with another model side by side</source>
        <translation>将打开的模型与另一个模型并排比较</translation>
    </message>
    <message>
        <source>Diff With</source>
        <translation>与…比较</translation>
    </message>
    <message>
        <source>Compare with &amp;Original</source>
        <translation>与原始文件比较(&amp;O)</translation>
    </message>
    <message>
        <source>Compare the model as edited with the file on disk</source>
        <translation>将编辑后的模型与磁盘上的文件比较</translation>
    </message>
    <message>
        <source>Comparing with %1</source>
        <translation>正在与 %1 比较</translation>
    </message>
    <message>
        <source>Comparing with the file on disk</source>
        <translation>正在与磁盘上的文件比较</translation>
    </message>
    <message>
        <source>Wait until the running rewrite has finished, then compare again.</source>
        <translation>请等待正在进行的改写完成，然后再比较。</translation>
    </message>
    <message>
        <source>Diff</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>%1 (as edited)</source>
        <translation>%1（已编辑）</translation>
    </message>
    <message>
        <source>Diff — %1 ↔ %2</source>
        <translation>比较 — %1 ↔ %2</translation>
    </message>
    <message>
        <source>Add Output “%1”</source>
        <translation>添加输出“%1”</translation>
    </message>
    <message>
        <source>Select a node on the canvas first (nodes without a name cannot be edited by name).</source>
        <translation>请先在画布上选择一个节点（无名称的节点不能按名称编辑）。</translation>
    </message>
    <message>
        <source>&amp;Delete Node</source>
        <translation>删除节点(&amp;D)</translation>
    </message>
    <message>
        <source>Remove the selected node and connect its readers to its first input</source>
        <translation>删除所选节点，并将其读取者连接到其第一个输入</translation>
    </message>
    <message>
        <source>Delete Node and &amp;Downstream</source>
        <translation>删除节点及下游(&amp;D)</translation>
    </message>
    <message>
        <source>Remove the selected node and everything that reads from it</source>
        <translation>删除所选节点及所有读取它的内容</translation>
    </message>
    <message>
        <source>&amp;Rename Node…</source>
        <translation>重命名节点(&amp;R)…</translation>
    </message>
    <message>
        <source>Rename Node</source>
        <translation>重命名节点</translation>
    </message>
    <message>
        <source>New name of %1:</source>
        <translation>%1 的新名称：</translation>
    </message>
    <message>
        <source>&amp;Add Node…</source>
        <translation>添加节点(&amp;A)…</translation>
    </message>
    <message>
        <source>E&amp;xtract Selection…</source>
        <translation>提取所选内容(&amp;X)…</translation>
    </message>
    <message>
        <source>&amp;Export Recipe…</source>
        <translation>导出配方(&amp;E)…</translation>
    </message>
    <message>
        <source>Write the history as a recipe that replays on another export of this model</source>
        <translation>将历史写成可在此模型的另一次导出上重放的配方</translation>
    </message>
    <message>
        <source>Export Recipe</source>
        <translation>导出配方</translation>
    </message>
    <message>
        <source>Graft recipes (*.json);;All files (*)</source>
        <translation>Graft 配方 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Apply Re&amp;cipe…</source>
        <translation>应用配方(&amp;C)…</translation>
    </message>
    <message>
        <source>Apply Recipe</source>
        <translation>应用配方</translation>
    </message>
    <message>
        <source>Every step applied or was already true.</source>
        <translation>每一步都已应用或本已成立。</translation>
    </message>
    <message>
        <source>Some steps did not apply.</source>
        <translation>有些步骤未能应用。</translation>
    </message>
    <message>
        <source>The edit was not applied</source>
        <translation>编辑未被应用</translation>
    </message>
    <message>
        <source>The history has no edits or rewrites to export.</source>
        <translation>历史中没有可导出的编辑或改写。</translation>
    </message>
    <message numerus="yes">
        <source>Wrote a recipe of %n step(s) to %1</source>
        <translation>
            <numerusform>已将 %n 步的配方写入 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>applied</source>
        <translation>已应用</translation>
    </message>
    <message>
        <source>already true</source>
        <translation>本已成立</translation>
    </message>
    <message>
        <source>not applicable</source>
        <translation>不适用</translation>
    </message>
    <message>
        <source>Add Node</source>
        <translation>添加节点</translation>
    </message>
    <message>
        <source>Search ops by name</source>
        <translation>按名称搜索算子</translation>
    </message>
    <message>
        <source>value names, comma-separated</source>
        <translation>值名称，用逗号分隔</translation>
    </message>
    <message>
        <source>made up from the op when empty</source>
        <translation>为空时根据算子生成</translation>
    </message>
    <message>
        <source>axis=-1; perm=0,2,1</source>
        <translation>axis=-1; perm=0,2,1</translation>
    </message>
    <message>
        <source>Inputs:</source>
        <translation>输入：</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Attributes:</source>
        <translation>属性：</translation>
    </message>
    <message>
        <source>Extract Subgraph</source>
        <translation>提取子图</translation>
    </message>
    <message>
        <source>The nodes between these values are saved as a new model.</source>
        <translation>这些值之间的节点将保存为新模型。</translation>
    </message>
    <message>
        <source>Outputs:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <source>Save Extracted Model</source>
        <translation>保存提取的模型</translation>
    </message>
    <message numerus="yes">
        <source>Saved the extracted model (%n node(s)) to %1</source>
        <translation>
            <numerusform>已将提取的模型（%n 个节点）保存到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;h3&gt;Graft %1&lt;/h3&gt;&lt;p&gt;A desktop studio for ONNX models: inspect the graph, run it on the CPU, match a backend&apos;s rules and rewrite with verification, quantize, compare two models, edit by hand, replay recipes, export the graph.&lt;/p&gt;&lt;p&gt;Built with Qt %2 and onnx.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Graft %1&lt;/h3&gt;&lt;p&gt;ONNX 模型的桌面工作室：查看图、在 CPU 上运行、匹配后端规则并带验证地改写、量化、比较两个模型、手动编辑、重放配方、导出图。&lt;/p&gt;&lt;p&gt;基于 Qt %2 和 onnx 构建。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>graft::Minimap</name>
    <message>
        <source>Overview: click or drag to move the view</source>
        <translation>概览：单击或拖动以移动视图</translation>
    </message>
</context>
<context>
    <name>graft::ModelPropertiesPanel</name>
    <message>
        <source>Symbolic dims</source>
        <translation>符号维度</translation>
    </message>
    <message>
        <source>counted as 1</source>
        <translation>按 1 计算</translation>
    </message>
    <message>
        <source>Property</source>
        <translation>属性</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>未打开模型</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Opened in</source>
        <translation>打开用时</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>IR version</source>
        <translation>IR 版本</translation>
    </message>
    <message>
        <source>Producer</source>
        <translation>生成工具</translation>
    </message>
    <message>
        <source>(not recorded)</source>
        <translation>（未记录）</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>域</translation>
    </message>
    <message>
        <source>Model version</source>
        <translation>模型版本</translation>
    </message>
    <message>
        <source>Graph name</source>
        <translation>图名称</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Local functions</source>
        <translation>本地函数</translation>
    </message>
    <message>
        <source>Opsets</source>
        <translation>算子集</translation>
    </message>
    <message>
        <source>(custom domain)</source>
        <translation>（自定义域）</translation>
    </message>
    <message>
        <source>(unknown type)</source>
        <translation>（未知类型）</translation>
    </message>
    <message>
        <source>Inputs (%1)</source>
        <translation>输入 (%1)</translation>
    </message>
    <message>
        <source>Outputs (%1)</source>
        <translation>输出 (%1)</translation>
    </message>
    <message>
        <source>Metadata (%1)</source>
        <translation>元数据 (%1)</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>(%1 with subgraphs)</source>
        <translation>（含子图共 %1）</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Initializers</source>
        <translation>初始化器</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>FLOPs</source>
        <translation>FLOPs</translation>
    </message>
    <message>
        <source>External data</source>
        <translation>外部数据</translation>
    </message>
    <message numerus="yes">
        <source>%1 in %n file(s)</source>
        <translation>
            <numerusform>%1，共 %n 个文件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Op histogram (%n op type(s))</source>
        <translation>
            <numerusform>算子分布（%n 种）</numerusform>
        </translation>
    </message>
    <message>
        <source>graph</source>
        <translation>图</translation>
    </message>
    <message>
        <source>shape inference</source>
        <translation>形状推断</translation>
    </message>
    <message>
        <source>checker</source>
        <translation>检查器</translation>
    </message>
    <message>
        <source>Problems (none)</source>
        <translation>问题（无）</translation>
    </message>
    <message>
        <source>Problems (%1)</source>
        <translation>问题 (%1)</translation>
    </message>
    <message>
        <source>Checker</source>
        <translation>检查器</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>not valid</source>
        <translation>无效</translation>
    </message>
    <message>
        <source>Shape inference</source>
        <translation>形状推断</translation>
    </message>
    <message>
        <source>every output typed</source>
        <translation>所有输出均有类型</translation>
    </message>
    <message>
        <source>some outputs untyped</source>
        <translation>部分输出没有类型</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>Loading %1 s, analysis %2 s</source>
        <translation>加载 %1 秒，分析 %2 秒</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>Not counted</source>
        <translation>未计入</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
    <message>
        <source>Nodes whose cost is not in the totals: their shapes are not static or the op has no cost formula.</source>
        <translation>未计入总数的节点：它们的形状不是静态的，或该算子没有计算量公式。</translation>
    </message>
    <message>
        <source>Activations</source>
        <translation>激活值</translation>
    </message>
    <message>
        <source>Bytes of all intermediate tensors whose shape is static</source>
        <translation>所有静态形状中间张量的字节数</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>All weights are inside the .onnx file.</source>
        <translation>所有权重都在 .onnx 文件内。</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation>分析</translation>
    </message>
    <message>
        <source>analysing…</source>
        <translation>正在分析…</translation>
    </message>
    <message>
        <source>(newer than Graft knows, up to %1)</source>
        <translation>（比 Graft 所知的更新，最高 %1）</translation>
    </message>
</context>
<context>
    <name>graft::NodeDetailsPanel</name>
    <message>
        <source>Open a model to see its nodes here.</source>
        <translation>打开模型后在此查看其节点。</translation>
    </message>
    <message>
        <source>opset %1</source>
        <translation>算子集 %1</translation>
    </message>
    <message>
        <source>since version %1</source>
        <translation>自版本 %1 起</translation>
    </message>
    <message>
        <source>deprecated</source>
        <translation>已弃用</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>(unnamed)</source>
        <translation>（未命名）</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>%1 of %2 in topological order</source>
        <translation>拓扑顺序中第 %1 个，共 %2 个</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>FLOPs</source>
        <translation>FLOPs</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>omitted</source>
        <translation>省略</translation>
    </message>
    <message>
        <source>initializer</source>
        <translation>初始化器</translation>
    </message>
    <message>
        <source>graph input</source>
        <translation>图输入</translation>
    </message>
    <message>
        <source>graph output</source>
        <translation>图输出</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message numerus="yes">
        <source>(%n node(s))</source>
        <translation>
            <numerusform>（%n 个节点）</numerusform>
        </translation>
    </message>
    <message>
        <source>in %1 graphs</source>
        <translation>分布在 %1 个图中</translation>
    </message>
    <message>
        <source>required but missing</source>
        <translation>必需但缺失</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>Node description</source>
        <translation>节点说明</translation>
    </message>
    <message>
        <source>Documentation</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>The bundled onnx library has no schema for this op.</source>
        <translation>内置 onnx 库没有该算子的模式定义。</translation>
    </message>
    <message>
        <source>No schema: %1.</source>
        <translation>没有模式定义：%1。</translation>
    </message>
    <message>
        <source>Select a node in the graph or the table to see its inputs, outputs, attributes and the documentation of its op.</source>
        <translation>在图或表中选择一个节点，以查看其输入、输出、属性及其算子的文档。</translation>
    </message>
</context>
<context>
    <name>graft::NodeTableModel</name>
    <message>
        <source>This node has no name; it is shown by its op type and position in the file.</source>
        <translation>该节点没有名称；以算子类型和在文件中的位置显示。</translation>
    </message>
    <message>
        <source>Not counted: shapes are unknown or the op has no cost formula.</source>
        <translation>未计入：形状未知或该算子没有计算量公式。</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Op type</source>
        <translation>算子类型</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>域</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Output types</source>
        <translation>输出类型</translation>
    </message>
    <message>
        <source>MACs</source>
        <translation>MACs</translation>
    </message>
    <message>
        <source>FLOPs</source>
        <translation>FLOPs</translation>
    </message>
    <message>
        <source>Position in topological order</source>
        <translation>在拓扑顺序中的位置</translation>
    </message>
    <message>
        <source>Element type and shape of each output, from shape inference</source>
        <translation>每个输出的元素类型和形状（来自形状推断）</translation>
    </message>
    <message>
        <source>Multiply-accumulate operations</source>
        <translation>乘加运算次数</translation>
    </message>
    <message>
        <source>Floating-point operations</source>
        <translation>浮点运算次数</translation>
    </message>
</context>
<context>
    <name>graft::QuantPanel</name>
    <message>
        <source>Static INT8</source>
        <translation>静态 INT8</translation>
    </message>
    <message>
        <source>Dynamic INT8</source>
        <translation>动态 INT8</translation>
    </message>
    <message>
        <source>Weight-only 4-bit</source>
        <translation>仅权重 4 位</translation>
    </message>
    <message>
        <source>Weight-only 8-bit</source>
        <translation>仅权重 8 位</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>模式：</translation>
    </message>
    <message>
        <source>The backend profile decides where Q/DQ go and in which types</source>
        <translation>后端配置决定 Q/DQ 的位置和类型</translation>
    </message>
    <message>
        <source>Backend:</source>
        <translation>后端：</translation>
    </message>
    <message>
        <source>MatMulNBits (ONNX Runtime)</source>
        <translation>MatMulNBits（ONNX Runtime）</translation>
    </message>
    <message>
        <source>DequantizeLinear (opset 21)</source>
        <translation>DequantizeLinear（opset 21）</translation>
    </message>
    <message>
        <source>Encoding:</source>
        <translation>编码：</translation>
    </message>
    <message>
        <source>Block size:</source>
        <translation>块大小：</translation>
    </message>
    <message>
        <source>Symmetric</source>
        <translation>对称</translation>
    </message>
    <message>
        <source>Method:</source>
        <translation>方法：</translation>
    </message>
    <message>
        <source>none: seeded random inputs</source>
        <translation>无：使用固定种子的随机输入</translation>
    </message>
    <message>
        <source>One subfolder per sample with INPUTNAME.npy files, or test_data_set_K/input_J.pb</source>
        <translation>每个样本一个子文件夹，内含 INPUTNAME.npy 文件，或 test_data_set_K/input_J.pb</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Calibration data:</source>
        <translation>校准数据：</translation>
    </message>
    <message>
        <source> dB</source>
        <translation> dB</translation>
    </message>
    <message>
        <source>Target SQNR:</source>
        <translation>目标 SQNR：</translation>
    </message>
    <message>
        <source>Calibrate</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Node SQNR:</source>
        <translation>节点 SQNR：</translation>
    </message>
    <message>
        <source>&lt; 10 dB</source>
        <translation>&lt; 10 dB</translation>
    </message>
    <message>
        <source>10–20</source>
        <translation>10–20</translation>
    </message>
    <message>
        <source>20–30</source>
        <translation>20–30</translation>
    </message>
    <message>
        <source>30–40</source>
        <translation>30–40</translation>
    </message>
    <message>
        <source>≥ 40 dB</source>
        <translation>≥ 40 dB</translation>
    </message>
    <message>
        <source>dashed grey: kept in float</source>
        <translation>灰色虚线：保留为浮点</translation>
    </message>
    <message>
        <source>Click a node on the graph to keep it in float or quantize it again</source>
        <translation>单击图中的节点以将其保留为浮点或重新量化</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>算子</translation>
    </message>
    <message>
        <source>SQNR (dB)</source>
        <translation>SQNR（dB）</translation>
    </message>
    <message>
        <source>Cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>Double-click a node to keep it in float or quantize it again</source>
        <translation>双击节点以将其保留为浮点或重新量化</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Save As…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <source>Quantization preview</source>
        <translation>量化预览</translation>
    </message>
    <message>
        <source>Calibration data folder</source>
        <translation>校准数据文件夹</translation>
    </message>
    <message>
        <source>Percentile (99.999)</source>
        <translation>百分位（99.999）</translation>
    </message>
    <message>
        <source>MinMax</source>
        <translation>MinMax</translation>
    </message>
    <message>
        <source>Moving average</source>
        <translation>移动平均</translation>
    </message>
    <message>
        <source>Entropy (KL)</source>
        <translation>熵（KL）</translation>
    </message>
    <message>
        <source>RTN</source>
        <translation>RTN</translation>
    </message>
    <message>
        <source>GPTQ</source>
        <translation>GPTQ</translation>
    </message>
    <message>
        <source>AWQ</source>
        <translation>AWQ</translation>
    </message>
    <message>
        <source>Calibrating…</source>
        <translation>正在校准…</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>正在评分…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>SQNR %1 dB, cosine %2</source>
        <translation>SQNR %1 dB，余弦 %2</translation>
    </message>
    <message>
        <source>kept in float</source>
        <translation>保留为浮点</translation>
    </message>
    <message>
        <source>Kept in float</source>
        <translation>保留为浮点</translation>
    </message>
    <message numerus="yes">
        <source>Output SQNR %1 dB on %n held-back sample(s)</source>
        <translation>
            <numerusform>在 %n 个保留样本上输出 SQNR 为 %1 dB</numerusform>
        </translation>
    </message>
    <message>
        <source>top-1 agreement %1%</source>
        <translation>top-1 一致率 %1%</translation>
    </message>
    <message>
        <source>Random inputs: give a calibration folder for meaningful ranges and scores.</source>
        <translation>随机输入：请提供校准文件夹以获得有意义的范围和评分。</translation>
    </message>
    <message>
        <source>Kept %1 in float: %2</source>
        <translation>已将 %1 保留为浮点：%2</translation>
    </message>
    <message>
        <source>Weights: %1 → %2 (%3 → %4 bytes); %5 bits per quantized weight, scales and zero points counted</source>
        <translation>权重：%1 → %2（%3 → %4 字节）；每个量化权重 %5 位，含缩放与零点</translation>
    </message>
    <message>
        <source>Calibrate first.</source>
        <translation>请先校准。</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>之前</translation>
    </message>
    <message>
        <source>After</source>
        <translation>之后</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Output SQNR</source>
        <translation>输出 SQNR</translation>
    </message>
    <message>
        <source>Quantized nodes: %1; kept in float: %2</source>
        <translation>已量化节点：%1；保留为浮点：%2</translation>
    </message>
    <message>
        <source>Quantize (%1)</source>
        <translation>量化（%1）</translation>
    </message>
    <message>
        <source>Keep in float until</source>
        <translation>保留浮点直到</translation>
    </message>
    <message>
        <source>Keep the worst nodes in float until the output reaches this SQNR</source>
        <translation>将最差的节点保留为浮点，直到输出达到此 SQNR</translation>
    </message>
    <message>
        <source>Clicks on the graph toggle float</source>
        <translation>在图上单击切换浮点</translation>
    </message>
</context>
<context>
    <name>graft::RewritePanel</name>
    <message>
        <source>Rule / match</source>
        <translation>规则 / 匹配</translation>
    </message>
    <message>
        <source>Δ nodes</source>
        <translation>Δ 节点</translation>
    </message>
    <message>
        <source>Becomes</source>
        <translation>变为</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Why not</source>
        <translation>为何未匹配</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>算子</translation>
    </message>
    <message>
        <source>Why it blocks</source>
        <translation>阻碍原因</translation>
    </message>
    <message>
        <source>Matches</source>
        <translation>匹配</translation>
    </message>
    <message>
        <source>Blocks</source>
        <translation>阻碍</translation>
    </message>
    <message>
        <source>Preview…</source>
        <translation>预览…</translation>
    </message>
    <message>
        <source>Before and after of the selected match, without changing the model</source>
        <translation>所选匹配改写前后的对比，不修改模型</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Apply the selected match (undoable)</source>
        <translation>应用所选匹配（可撤销）</translation>
    </message>
    <message>
        <source>Apply Rule</source>
        <translation>应用规则</translation>
    </message>
    <message>
        <source>Apply every match of the selected rule (undoable)</source>
        <translation>应用所选规则的全部匹配（可撤销）</translation>
    </message>
    <message>
        <source>Apply Profile</source>
        <translation>应用配置文件</translation>
    </message>
    <message>
        <source>Apply the whole profile to a fixed point (undoable)</source>
        <translation>把整个配置文件应用到不动点（可撤销）</translation>
    </message>
    <message>
        <source>Matching…</source>
        <translation>正在匹配…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Why not %1:&lt;/b&gt; %2</source>
        <translation>&lt;b&gt;%1 为何未匹配：&lt;/b&gt;%2</translation>
    </message>
    <message>
        <source>&lt;b&gt;Backend will fuse:&lt;/b&gt; %1 (left alone)</source>
        <translation>&lt;b&gt;后端会自行融合：&lt;/b&gt;%1（保持不动）</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; → %2 (%3 nodes)</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; → %2（%3 个节点）</translation>
    </message>
    <message>
        <source>&lt;b&gt;&lt;span style=&quot;color:%1&quot;&gt;Blocks:&lt;/span&gt;&lt;/b&gt; %2</source>
        <translation>&lt;b&gt;&lt;span style="color:%1"&gt;阻碍：&lt;/span&gt;&lt;/b&gt;%2</translation>
    </message>
    <message>
        <source>Choose a backend in the toolbar to see what its rules match.</source>
        <translation>在工具栏中选择一个后端，查看其规则匹配到什么。</translation>
    </message>
    <message>
        <source>Open a model to match %1.</source>
        <translation>打开一个模型以匹配 %1 的规则。</translation>
    </message>
    <message>
        <source>Backend will fuse (%1)</source>
        <translation>后端会自行融合（%1）</translation>
    </message>
    <message>
        <source>left alone</source>
        <translation>保持不动</translation>
    </message>
    <message>
        <source>blocks</source>
        <translation>阻碍</translation>
    </message>
    <message>
        <source>backend will fuse</source>
        <translation>后端会自行融合</translation>
    </message>
    <message>
        <source>why not (hover)</source>
        <translation>为何未匹配（悬停查看）</translation>
    </message>
    <message>
        <source>%1: %2 in %3 · %4 · %5 · %6</source>
        <translation>%1：%3中 %2 · %4 · %5 · %6</translation>
    </message>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n 个匹配</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rule(s)</source>
        <translation>
            <numerusform>%n 条规则</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n block(s)</source>
        <translation>
            <numerusform>%n 处阻碍</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n backend fusion(s)</source>
        <translation>
            <numerusform>%n 处后端融合</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n near miss(es)</source>
        <translation>
            <numerusform>%n 个差点匹配</numerusform>
        </translation>
    </message>
    <message>
        <source>Matches (%1)</source>
        <translation>匹配（%1）</translation>
    </message>
    <message>
        <source>Why not (%1)</source>
        <translation>为何未匹配（%1）</translation>
    </message>
    <message>
        <source>Blocks (%1)</source>
        <translation>阻碍（%1）</translation>
    </message>
    <message>
        <source>Click an entry to show or hide it on the graph</source>
        <translation>单击条目以在图上显示或隐藏它</translation>
    </message>
    <message>
        <source>Show on graph</source>
        <translation>在图上显示</translation>
    </message>
    <message>
        <source>Rings around matches, blockers and near misses on the graph</source>
        <translation>在图上为匹配、阻碍和未命中加圈</translation>
    </message>
    <message>
        <source>Show all near misses</source>
        <translation>显示所有未命中</translation>
    </message>
    <message>
        <source>Also list attempts that failed at their first node or repeat a failure already shown</source>
        <translation>也列出在第一个节点就失败或重复已显示失败的尝试</translation>
    </message>
    <message>
        <source>Rule / at</source>
        <translation>规则 / 位置</translation>
    </message>
    <message>
        <source>Analysing the model; %1 is matched when that is done.</source>
        <translation>正在分析模型；完成后再匹配 %1。</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1 位于 %2</translation>
    </message>
    <message>
        <source>%1 (%2 of %3)</source>
        <translation>%1（%3 中的 %2）</translation>
    </message>
    <message>
        <source>%1 in all, %2 kept</source>
        <translation>共 %1，保留 %2</translation>
    </message>
</context>
<context>
    <name>graft::RewritePreviewDialog</name>
    <message>
        <source>Preview: %1</source>
        <translation>预览：%1</translation>
    </message>
    <message>
        <source>removed by the rewrite</source>
        <translation>被改写删除</translation>
    </message>
    <message>
        <source>added by the rewrite</source>
        <translation>由改写添加</translation>
    </message>
    <message>
        <source>changed by the rewrite</source>
        <translation>被改写修改</translation>
    </message>
    <message>
        <source>removed (%1)</source>
        <translation>删除（%1）</translation>
    </message>
    <message>
        <source>added (%1)</source>
        <translation>添加（%1）</translation>
    </message>
    <message>
        <source>changed (%1)</source>
        <translation>修改（%1）</translation>
    </message>
    <message>
        <source>Nothing is committed until you apply.</source>
        <translation>在应用之前不会提交任何更改。</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
    <message>
        <source>Before</source>
        <translation>之前</translation>
    </message>
    <message>
        <source>After</source>
        <translation>之后</translation>
    </message>
    <message>
        <source>Apply This Rewrite</source>
        <translation>应用此改写</translation>
    </message>
</context>
<context>
    <name>graft::RewriteSession</name>
    <message>
        <source>%1 nodes</source>
        <translation>%1 个节点</translation>
    </message>
    <message>
        <source>Matching</source>
        <translation>正在匹配</translation>
    </message>
    <message>
        <source>The list of matches is out of date; wait for matching to finish and try again.</source>
        <translation>匹配列表已过时；请等待匹配完成后重试。</translation>
    </message>
    <message>
        <source>Apply %1 at %2</source>
        <translation>在 %2 处应用 %1</translation>
    </message>
    <message>
        <source>Apply all matches of %1</source>
        <translation>应用 %1 的全部匹配</translation>
    </message>
    <message>
        <source>Apply profile %1</source>
        <translation>应用配置文件 %1</translation>
    </message>
    <message>
        <source>Preparing the preview</source>
        <translation>正在准备预览</translation>
    </message>
    <message>
        <source>Undoing</source>
        <translation>正在撤销</translation>
    </message>
    <message>
        <source>Redoing</source>
        <translation>正在重做</translation>
    </message>
    <message>
        <source>Analysing the model</source>
        <translation>正在分析模型</translation>
    </message>
    <message>
        <source>Cancelled; the model is unchanged.</source>
        <translation>已取消；模型未改变。</translation>
    </message>
    <message>
        <source>Nothing to apply: no match changed the graph.</source>
        <translation>没有可应用的内容：没有匹配改变图。</translation>
    </message>
    <message>
        <source>There is no model to save: open one first.</source>
        <translation>没有可保存的模型：请先打开一个。</translation>
    </message>
    <message>
        <source>Saving %1</source>
        <translation>正在保存 %1</translation>
    </message>
    <message>
        <source>Cancelled midway; what was already rewritten is undone, the model is unchanged.</source>
        <translation>已中途取消；已完成的改写均已撤销，模型未改变。</translation>
    </message>
    <message numerus="yes">
        <source>%n rewrite(s)</source>
        <translation>
            <numerusform>%n 处改写</numerusform>
        </translation>
    </message>
    <message>
        <source>Another model was opened while saving.</source>
        <translation>保存期间打开了另一个模型。</translation>
    </message>
</context>
<context>
    <name>graft::RunPanel</name>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Random inputs are drawn from this seed: the same seed gives the same inputs.</source>
        <translation>随机输入由此种子生成：相同的种子得到相同的输入。</translation>
    </message>
    <message>
        <source>Load Inputs…</source>
        <translation>加载输入…</translation>
    </message>
    <message>
        <source>Feed inputs from .npy or .pb files (matched to inputs by file name).</source>
        <translation>从 .npy 或 .pb 文件提供输入（按文件名匹配输入）。</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Run the model to see the values of every tensor: click an edge or a tensor name afterwards.</source>
        <translation>运行模型即可查看每个张量的数值：之后点击一条边或一个张量名称。</translation>
    </message>
    <message>
        <source>Open a model to run it.</source>
        <translation>打开一个模型以运行它。</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Weights and constants show their values any time; every other tensor after a run.</source>
        <translation>权重和常量随时显示数值；其他张量在运行之后显示。</translation>
    </message>
    <message>
        <source>Load Inputs</source>
        <translation>加载输入</translation>
    </message>
    <message>
        <source>Arrays (*.npy *.pb);;All files (*)</source>
        <translation>数组 (*.npy *.pb);;所有文件 (*)</translation>
    </message>
    <message>
        <source>No input is named like %1: name each file after the input it feeds.</source>
        <translation>没有与 %1 同名的输入：请按所提供的输入为每个文件命名。</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%1 来自 %2</translation>
    </message>
    <message>
        <source>%1 random</source>
        <translation>%1 随机</translation>
    </message>
    <message>
        <source>Inputs: %1</source>
        <translation>输入：%1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>正在运行…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Running %1…</source>
        <translation>正在运行 %1…</translation>
    </message>
    <message>
        <source>Run cancelled.</source>
        <translation>运行已取消。</translation>
    </message>
    <message>
        <source>Run failed: %1</source>
        <translation>运行失败：%1</translation>
    </message>
    <message numerus="yes">
        <source>Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.</source>
        <translation>
            <numerusform>已在 %1 秒内运行 %n 个节点；激活峰值 %2。点击一条边或一个张量名称即可查看其数值。</numerusform>
        </translation>
    </message>
    <message>
        <source>computed by the last run (seed %1)</source>
        <translation>由上次运行计算（种子 %1）</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a value of the main graph&apos;s last run (inside a subgraph?).</source>
        <translation>“%1”不是主图上次运行的数值（位于子图中？）。</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is computed while the model runs: press Run to see its values.</source>
        <translation>“%1”在模型运行时才计算：按“运行”查看其数值。</translation>
    </message>
</context>
<context>
    <name>graft::ScenePainter</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n 个节点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n use(s)</source>
        <translation>
            <numerusform>%n 处使用</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tensor(s)</source>
        <translation>
            <numerusform>%n 个张量</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::Stage</name>
    <message>
        <source>Reading the model</source>
        <translation>正在读取模型</translation>
    </message>
    <message>
        <source>Inferring shapes</source>
        <translation>正在推断形状</translation>
    </message>
    <message>
        <source>Computing statistics</source>
        <translation>正在计算统计信息</translation>
    </message>
    <message>
        <source>Validating</source>
        <translation>正在验证</translation>
    </message>
    <message>
        <source>Preparing the node table</source>
        <translation>正在准备节点表</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Opening</source>
        <translation>正在打开</translation>
    </message>
    <message>
        <source>Parsing</source>
        <translation>正在解析</translation>
    </message>
    <message>
        <source>Building graph</source>
        <translation>正在构建图</translation>
    </message>
    <message>
        <source>Loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>Preparing shape inference</source>
        <translation>正在准备形状推断</translation>
    </message>
    <message>
        <source>Collecting inferred types</source>
        <translation>正在收集推断出的类型</translation>
    </message>
    <message>
        <source>Checking inference node by node</source>
        <translation>正在逐个节点检查推断</translation>
    </message>
    <message>
        <source>Shape inference done</source>
        <translation>形状推断完成</translation>
    </message>
</context>
<context>
    <name>graft::TensorViewer</name>
    <message>
        <source>Double-click a weight badge on a node, or select a Constant, to see its values.</source>
        <translation>双击节点上的权重标记，或选择一个常量，查看其数值。</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>Elements</source>
        <translation>元素</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>存储</translation>
    </message>
    <message>
        <source>Min</source>
        <translation>最小值</translation>
    </message>
    <message>
        <source>Max</source>
        <translation>最大值</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>平均值</translation>
    </message>
    <message>
        <source>Std</source>
        <translation>标准差</translation>
    </message>
    <message>
        <source>Zeros</source>
        <translation>零值</translation>
    </message>
    <message>
        <source>NaN / Inf</source>
        <translation>NaN / Inf</translation>
    </message>
    <message>
        <source>Index</source>
        <translation>索引</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>Tensor</source>
        <translation>张量</translation>
    </message>
    <message>
        <source>external: %1, offset %2, %3 bytes</source>
        <translation>外部：%1，偏移 %2，%3 字节</translation>
    </message>
    <message>
        <source>inline in the model</source>
        <translation>内嵌在模型中</translation>
    </message>
    <message>
        <source>Constant node %1</source>
        <translation>常量节点 %1</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is computed while the model runs; only weights and constants have values here.</source>
        <translation>“%1”在模型运行时才计算；这里只有权重和常量才有数值。</translation>
    </message>
    <message>
        <source>computing…</source>
        <translation>计算中…</translation>
    </message>
    <message>
        <source>%1 (%2%)</source>
        <translation>%1（%2%）</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>&apos;%1&apos; holds no numbers to show.</source>
        <translation>“%1”没有可显示的数字。</translation>
    </message>
    <message>
        <source>Save .npy…</source>
        <translation>保存 .npy…</translation>
    </message>
    <message>
        <source>Write these values to a NumPy .npy file</source>
        <translation>将这些数值写入 NumPy .npy 文件</translation>
    </message>
    <message>
        <source>There are no values to save: show a weight, a constant or a computed tensor first.</source>
        <translation>没有可保存的数值：请先显示一个权重、常量或计算出的张量。</translation>
    </message>
    <message>
        <source>Save Values</source>
        <translation>保存数值</translation>
    </message>
    <message>
        <source>NumPy arrays (*.npy)</source>
        <translation>NumPy 数组 (*.npy)</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Graft: a desktop studio for ONNX models.</source>
        <translation>Graft：ONNX 模型桌面工作室。</translation>
    </message>
    <message>
        <source>The .onnx model to open.</source>
        <translation>要打开的 .onnx 模型。</translation>
    </message>
    <message>
        <source>Open the model without showing a window, save a picture of the window to &lt;png&gt; and exit.</source>
        <translation>打开模型但不显示窗口，把窗口画面保存到 &lt;png&gt; 后退出。</translation>
    </message>
    <message>
        <source>Window size for --screenshot, e.g. 1400x900.</source>
        <translation>--screenshot 的窗口大小，例如 1400x900。</translation>
    </message>
    <message>
        <source>Select the node with this name after opening.</source>
        <translation>打开后选中具有此名称的节点。</translation>
    </message>
    <message>
        <source>Log debug messages too.</source>
        <translation>同时记录调试信息。</translation>
    </message>
    <message>
        <source>--size must look like 1400x900.</source>
        <translation>--size 的格式应为 1400x900。</translation>
    </message>
    <message>
        <source>No node named %1 in the model.</source>
        <translation>模型中没有名为 %1 的节点。</translation>
    </message>
    <message>
        <source>Could not write %1.</source>
        <translation>无法写入 %1。</translation>
    </message>
    <message>
        <source>Open the graph with groups expanded: &apos;all&apos; opens every group.</source>
        <translation>打开图时展开分组：'all' 展开所有分组。</translation>
    </message>
    <message>
        <source>--expand takes &apos;all&apos; (open every group).</source>
        <translation>--expand 的值应为 'all'（展开所有分组）。</translation>
    </message>
    <message>
        <source>Open the model without showing a window, write the graph alone to &lt;file&gt; (SVG or PNG by its suffix) and exit.</source>
        <translation>不显示窗口打开模型，仅将图写入 &lt;file&gt;（按后缀为 SVG 或 PNG）并退出。</translation>
    </message>
    <message>
        <source>--screenshot and --export-graph cannot be used together.</source>
        <translation>--screenshot 和 --export-graph 不能同时使用。</translation>
    </message>
    <message>
        <source>--export-graph needs a model to open.</source>
        <translation>--export-graph 需要一个要打开的模型。</translation>
    </message>
    <message>
        <source>Bring this panel to the front: model, node, values, rewrite, quantize, log or history (e.g. for --screenshot).</source>
        <translation>将此面板置于前面：model、node、values、rewrite、quantize、log 或 history（例如用于 --screenshot）。</translation>
    </message>
    <message>
        <source>There is no panel named %1.</source>
        <translation>没有名为 %1 的面板。</translation>
    </message>
    <message>
        <source>With --diff: the model to compare it with.</source>
        <translation>配合 --diff：要与之比较的模型。</translation>
    </message>
    <message>
        <source>Open the two models given side by side, the first as A and the second as B (with --screenshot: picture the diff window).</source>
        <translation>并排打开给出的两个模型，第一个为 A，第二个为 B（配合 --screenshot：截取比较窗口）。</translation>
    </message>
    <message>
        <source>--diff needs two models: graft --diff A.onnx B.onnx</source>
        <translation>--diff 需要两个模型：graft --diff A.onnx B.onnx</translation>
    </message>
    <message>
        <source>Give one model to open, or two with --diff.</source>
        <translation>请给出一个要打开的模型，或用 --diff 给出两个。</translation>
    </message>
    <message>
        <source>--diff and --export-graph cannot be used together.</source>
        <translation>--diff 和 --export-graph 不能同时使用。</translation>
    </message>
</context>
</TS>
