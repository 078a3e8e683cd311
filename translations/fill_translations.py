#!/usr/bin/env python3
"""Fills graft_de.ts, graft_zh_CN.ts and the plural forms of graft_en.ts from the tables below.

Run after `ninja update_translations` (or lupdate) has added new source texts; a source text
missing from a table is reported and the script exits 1, so nothing ships untranslated.
Plural forms: German and English take [one, other], Chinese takes one form.
"""
import html
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

# source text -> (German, Chinese); for numerus messages each side is a list of forms.
T = {
    # graft::Format
    "subgraph": ("Teilgraph", "子图"),
    "subgraphs": ("Teilgraphen", "子图"),
    "sparse %1": ("dünnbesetzt %1", "稀疏 %1"),
    "type": ("Typ", "类型"),
    # graft::MainWindow
    "Open an ONNX model to inspect it": ("Öffnen Sie ein ONNX-Modell, um es zu untersuchen", "打开一个 ONNX 模型以查看它"),
    "Use File → Open (%1), drop a .onnx file on this window, or pick one from File → Open Recent.":
        ("Verwenden Sie Datei → Öffnen (%1), ziehen Sie eine .onnx-Datei auf dieses Fenster oder wählen Sie eine unter Datei → Zuletzt geöffnet.",
         "使用“文件 → 打开”（%1），把 .onnx 文件拖到此窗口，或从“文件 → 最近打开”中选择。"),
    "Open Model…": ("Modell öffnen…", "打开模型…"),
    "Filter nodes by name, op type or tensor name": ("Knoten nach Name, Operatortyp oder Tensorname filtern", "按名称、算子类型或张量名称筛选节点"),
    "Nodes": ("Knoten", "节点"),
    "Model": ("Modell", "模型"),
    "Node": ("Knoten", "节点"),
    "Log": ("Protokoll", "日志"),
    "&File": ("&Datei", "文件(&F)"),
    "&Open…": ("Ö&ffnen…", "打开(&O)…"),
    "Open &Recent": ("&Zuletzt geöffnet", "最近打开(&R)"),
    "Re&load": ("&Neu laden", "重新加载(&L)"),
    "&Quit": ("&Beenden", "退出(&Q)"),
    "&Edit": ("&Bearbeiten", "编辑(&E)"),
    "&Filter Nodes": ("Knoten &filtern", "筛选节点(&F)"),
    "Ctrl+L": ("Ctrl+L", "Ctrl+L"),
    "&View": ("&Ansicht", "视图(&V)"),
    "&Help": ("&Hilfe", "帮助(&H)"),
    "&About Graft": ("Ü&ber Graft", "关于 Graft(&A)"),
    "About Graft": ("Über Graft", "关于 Graft"),
    "<h3>Graft %1</h3><p>A desktop studio for ONNX models: inspect, match, rewrite, quantize and diff.</p><p>Built with Qt %2 and onnx.</p>":
        ("<h3>Graft %1</h3><p>Ein Desktop-Studio für ONNX-Modelle: untersuchen, Muster finden, umschreiben, quantisieren und vergleichen.</p><p>Erstellt mit Qt %2 und onnx.</p>",
         "<h3>Graft %1</h3><p>ONNX 模型桌面工作室：查看、匹配、改写、量化和比较。</p><p>基于 Qt %2 和 onnx 构建。</p>"),
    "About &Qt": ("Über &Qt", "关于 Qt(&Q)"),
    "Ready": ("Bereit", "就绪"),
    "Cancel": ("Abbrechen", "取消"),
    "Opening %1…": ("%1 wird geöffnet…", "正在打开 %1…"),
    "Cancelling…": ("Wird abgebrochen…", "正在取消…"),
    "Open Model": ("Modell öffnen", "打开模型"),
    "ONNX models (*.onnx);;All files (*)": ("ONNX-Modelle (*.onnx);;Alle Dateien (*)", "ONNX 模型 (*.onnx);;所有文件 (*)"),
    "%n node(s)": (["%n Knoten", "%n Knoten"], ["%n 个节点"]),
    "%1 parameters": ("%1 Parameter", "%1 个参数"),
    "%1 FLOPs": ("%1 FLOPs", "%1 FLOPs"),
    "%n problem(s)": (["%n Problem", "%n Probleme"], ["%n 个问题"]),
    "no problems": ("keine Probleme", "没有问题"),
    "FLOPs unknown": ("FLOPs unbekannt", "FLOPs 未知"),
    "at least %1 FLOPs": ("mindestens %1 FLOPs", "至少 %1 FLOPs"),
    "Could not open %1; still showing %2.": ("%1 konnte nicht geöffnet werden; %2 wird weiter angezeigt.", "无法打开 %1；仍显示 %2。"),
    "Could not open %1.": ("%1 konnte nicht geöffnet werden.", "无法打开 %1。"),
    "Could not open model": ("Modell konnte nicht geöffnet werden", "无法打开模型"),
    "Graft could not open %1.": ("Graft konnte %1 nicht öffnen.", "Graft 无法打开 %1。"),
    "Opening %1 was cancelled.": ("Das Öffnen von %1 wurde abgebrochen.", "已取消打开 %1。"),
    "No recent files": ("Keine zuletzt geöffneten Dateien", "没有最近打开的文件"),
    "&Clear Recent Files": ("Liste &leeren", "清除最近文件(&C)"),
    "%1 of %2 nodes": ("%1 von %2 Knoten", "%1 / %2 个节点"),
    "%1 — Graft": ("%1 — Graft", "%1 — Graft"),
    "Graft": ("Graft", "Graft"),
    # graft::ModelPropertiesPanel
    "Property": ("Eigenschaft", "属性"),
    "Value": ("Wert", "值"),
    "No model open": ("Kein Modell geöffnet", "未打开模型"),
    "File": ("Datei", "文件"),
    "Name": ("Name", "名称"),
    "Folder": ("Ordner", "文件夹"),
    "Size": ("Größe", "大小"),
    "Opened in": ("Geöffnet in", "打开用时"),
    "IR version": ("IR-Version", "IR 版本"),
    "Producer": ("Erzeuger", "生成工具"),
    "(not recorded)": ("(nicht angegeben)", "（未记录）"),
    "Domain": ("Domäne", "域"),
    "Model version": ("Modellversion", "模型版本"),
    "Graph name": ("Graphname", "图名称"),
    "Description": ("Beschreibung", "描述"),
    "Local functions": ("Lokale Funktionen", "本地函数"),
    "Opsets": ("Opsets", "算子集"),
    "(newer than the bundled onnx library, which knows up to %1)":
        ("(neuer als die mitgelieferte onnx-Bibliothek, die bis %1 reicht)", "（比内置 onnx 库更新，该库最高支持 %1）"),
    "(custom domain)": ("(eigene Domäne)", "（自定义域）"),
    "(unknown type)": ("(unbekannter Typ)", "（未知类型）"),
    "Inputs (%1)": ("Eingänge (%1)", "输入 (%1)"),
    "Outputs (%1)": ("Ausgänge (%1)", "输出 (%1)"),
    "Metadata (%1)": ("Metadaten (%1)", "元数据 (%1)"),
    "Statistics": ("Statistik", "统计"),
    "(%1 with subgraphs)": ("(%1 mit Teilgraphen)", "（含子图共 %1）"),
    "Parameters": ("Parameter", "参数"),
    "Initializers": ("Initialisierer", "初始化器"),
    "MACs": ("MACs", "MACs"),
    "FLOPs": ("FLOPs", "FLOPs"),
    "External data": ("Externe Daten", "外部数据"),
    "%1 in %n file(s)": (["%1 in %n Datei", "%1 in %n Dateien"], ["%1，共 %n 个文件"]),
    "Op histogram (%n op type(s))": (["Operatoren (%n Typ)", "Operatoren (%n Typen)"], ["算子分布（%n 种）"]),
    "graph": ("Graph", "图"),
    "shape inference": ("Forminferenz", "形状推断"),
    "checker": ("Prüfer", "检查器"),
    "Problems (none)": ("Probleme (keine)", "问题（无）"),
    "Problems (%1)": ("Probleme (%1)", "问题 (%1)"),
    "Checker": ("Prüfer", "检查器"),
    "valid": ("gültig", "有效"),
    "not valid": ("ungültig", "无效"),
    "Shape inference": ("Forminferenz", "形状推断"),
    "every output typed": ("alle Ausgänge typisiert", "所有输出均有类型"),
    "some outputs untyped": ("einige Ausgänge ohne Typ", "部分输出没有类型"),
    "%1 s": ("%1 s", "%1 秒"),
    "Loading %1 s, analysis %2 s": ("Laden %1 s, Analyse %2 s", "加载 %1 秒，分析 %2 秒"),
    "%1 (%2)": ("%1 (%2)", "%1（%2）"),
    "Not counted": ("Nicht gezählt", "未计入"),
    "Nodes whose cost is not in the totals: their shapes are not static or the op has no cost formula.":
        ("Knoten, deren Aufwand nicht in den Summen enthalten ist: ihre Formen sind nicht statisch oder für den Operator gibt es keine Aufwandsformel.",
         "未计入总数的节点：它们的形状不是静态的，或该算子没有计算量公式。"),
    "Activations": ("Aktivierungen", "激活值"),
    "Bytes of all intermediate tensors whose shape is static": ("Bytes aller Zwischentensoren mit statischer Form", "所有静态形状中间张量的字节数"),
    "none": ("keine", "无"),
    "All weights are inside the .onnx file.": ("Alle Gewichte liegen in der .onnx-Datei.", "所有权重都在 .onnx 文件内。"),
    # graft::NodeDetailsPanel
    "Select a node in the table to see its inputs, outputs, attributes and the documentation of its op.":
        ("Wählen Sie einen Knoten in der Tabelle, um seine Ein- und Ausgänge, Attribute und die Dokumentation seines Operators zu sehen.",
         "在表格中选择一个节点，查看其输入、输出、属性以及算子文档。"),
    "Open a model to see its nodes here.": ("Öffnen Sie ein Modell, um hier seine Knoten zu sehen.", "打开模型后在此查看其节点。"),
    "opset %1": ("Opset %1", "算子集 %1"),
    "since version %1": ("seit Version %1", "自版本 %1 起"),
    "deprecated": ("veraltet", "已弃用"),
    "(unnamed)": ("(ohne Namen)", "（未命名）"),
    "Position": ("Position", "位置"),
    "%1 of %2 in topological order": ("%1 von %2 in topologischer Reihenfolge", "拓扑顺序中第 %1 个，共 %2 个"),
    "omitted": ("ausgelassen", "省略"),
    "initializer": ("Initialisierer", "初始化器"),
    "graph input": ("Grapheingang", "图输入"),
    "graph output": ("Graphausgang", "图输出"),
    "unknown": ("unbekannt", "未知"),
    "Inputs": ("Eingänge", "输入"),
    "Outputs": ("Ausgänge", "输出"),
    "Attributes": ("Attribute", "属性"),
    "(%n node(s))": (["(%n Knoten)", "(%n Knoten)"], ["（%n 个节点）"]),
    "in %1 graphs": ("in %1 Graphen", "分布在 %1 个图中"),
    "required but missing": ("erforderlich, fehlt aber", "必需但缺失"),
    "not set": ("nicht gesetzt", "未设置"),
    "default": ("Standard", "默认"),
    "Node description": ("Knotenbeschreibung", "节点说明"),
    "Documentation": ("Dokumentation", "文档"),
    "The bundled onnx library has no schema for this op.":
        ("Die mitgelieferte onnx-Bibliothek hat kein Schema für diesen Operator.", "内置 onnx 库没有该算子的模式定义。"),
    "No schema: %1.": ("Kein Schema: %1.", "没有模式定义：%1。"),
    # graft::NodeTableModel
    "This node has no name; it is shown by its op type and position in the file.":
        ("Dieser Knoten hat keinen Namen; er wird mit Operatortyp und Position in der Datei angezeigt.",
         "该节点没有名称；以算子类型和在文件中的位置显示。"),
    "Not counted: shapes are unknown or the op has no cost formula.":
        ("Nicht gezählt: Formen sind unbekannt oder der Operator hat keine Aufwandsformel.", "未计入：形状未知或该算子没有计算量公式。"),
    "#": ("#", "#"),
    "Op type": ("Operatortyp", "算子类型"),
    "Output types": ("Ausgabetypen", "输出类型"),
    "Position in topological order": ("Position in topologischer Reihenfolge", "在拓扑顺序中的位置"),
    "Element type and shape of each output, from shape inference": ("Elementtyp und Form jedes Ausgangs, aus der Forminferenz", "每个输出的元素类型和形状（来自形状推断）"),
    "Multiply-accumulate operations": ("Multiplizier-Akkumulier-Operationen", "乘加运算次数"),
    "Floating-point operations": ("Gleitkommaoperationen", "浮点运算次数"),
    # widgets/canvas (graph canvas, find panel, minimap, tensor viewer)
    " (in %1)": (" (in %1)", "（位于 %1）"),
    "%1 (%2%)": ("%1 (%2 %)", "%1（%2%）"),
    "%1 / %2": ("%1 / %2", "%1 / %2"),
    "%n match(es)": (["%n Treffer", "%n Treffer"], ["%n 个匹配"]),
    "%n group(s)": (["%n Gruppe", "%n Gruppen"], ["%n 个分组"]),
    "%1 of %2": ("%1 von %2", "%1 / %2"),
    "%n use(s)": (["%n Verwendung", "%n Verwendungen"], ["%n 处使用"]),
    "%n tensor(s)": (["%n Tensor", "%n Tensoren"], ["%n 个张量"]),
    "'%1' is computed while the model runs; only weights and constants have values here.":
        ("„%1“ wird erst bei der Ausführung des Modells berechnet; Werte gibt es hier nur für Gewichte und Konstanten.",
         "“%1”在模型运行时才计算；这里只有权重和常量才有数值。"),
    "100%": ("100 %", "100%"),
    "Actual size (1)": ("Originalgröße (1)", "实际大小 (1)"),
    "Bytes": ("Bytes", "字节"),
    "Close (Esc)": ("Schließen (Esc)", "关闭 (Esc)"),
    "Close every group": ("Alle Gruppen schließen", "关闭所有分组"),
    "Collapse all": ("Alle einklappen", "全部折叠"),
    "Constant node %1": ("Konstantenknoten %1", "常量节点 %1"),
    "Could not write %1: check that the folder exists and is writable.":
        ("%1 konnte nicht geschrieben werden: Prüfen Sie, ob der Ordner existiert und beschreibbar ist.",
         "无法写入 %1：请检查文件夹是否存在且可写。"),
    "Double-click a weight badge on a node, or select a Constant, to see its values.":
        ("Doppelklicken Sie auf ein Gewichtsabzeichen an einem Knoten oder wählen Sie eine Konstante, um ihre Werte zu sehen.",
         "双击节点上的权重标记，或选择一个常量，查看其数值。"),
    "Elements": ("Elemente", "元素"),
    "Expand all": ("Alle ausklappen", "全部展开"),
    "Find": ("Suchen", "查找"),
    "Find a node (Ctrl+F)": ("Knoten suchen (Strg+F)", "查找节点 (Ctrl+F)"),
    "Find a node by name, op type or tensor name": ("Knoten nach Name, Operatortyp oder Tensorname suchen", "按名称、算子类型或张量名称查找节点"),
    "Fit": ("Einpassen", "适应窗口"),
    "Fit the graph in the view (F)": ("Graph in die Ansicht einpassen (F)", "使整个图适应视图 (F)"),
    "Graph exported by Graft": ("Von Graft exportierter Graph", "由 Graft 导出的图"),
    "Index": ("Index", "索引"),
    "Laying out…": ("Wird angeordnet…", "正在布局…"),
    "Layout failed": ("Anordnung fehlgeschlagen", "布局失败"),
    "Max": ("Max", "最大值"),
    "Mean": ("Mittelwert", "平均值"),
    "Min": ("Min", "最小值"),
    "NaN / Inf": ("NaN / Inf", "NaN / Inf"),
    "No histogram": ("Kein Histogramm", "无直方图"),
    "Open every group": ("Alle Gruppen öffnen", "打开所有分组"),
    "Overview: click or drag to move the view": ("Übersicht: Klicken oder ziehen, um die Ansicht zu verschieben", "概览：单击或拖动以移动视图"),
    "Shape": ("Form", "形状"),
    "Std": ("Std.-Abw.", "标准差"),
    "Stored": ("Gespeichert", "存储"),
    "Tensor": ("Tensor", "张量"),
    "There is no graph to export: open a model first.": ("Es gibt keinen Graphen zum Exportieren: Öffnen Sie zuerst ein Modell.", "没有可导出的图：请先打开模型。"),
    "Type": ("Typ", "类型"),
    "Zeros": ("Nullen", "零值"),
    "computing…": ("wird berechnet…", "计算中…"),
    "count (√ scale)": ("Anzahl (√-Skala)", "计数（平方根刻度）"),
    "external: %1, offset %2, %3 bytes": ("extern: %1, Offset %2, %3 Bytes", "外部：%1，偏移 %2，%3 字节"),
    "inline in the model": ("im Modell eingebettet", "内嵌在模型中"),
    "main graph": ("Hauptgraph", "主图"),
    "produces %1": ("erzeugt %1", "生成 %1"),
    "reads %1": ("liest %1", "读取 %1"),
    "scalar": ("Skalar", "标量"),
    # graft::RunPanel, the Run menu (graft::MainWindow) and graft::TensorViewer's computed values
    "Seed": ("Startwert", "种子"),
    "Random inputs are drawn from this seed: the same seed gives the same inputs.":
        ("Zufällige Eingaben werden aus diesem Startwert gezogen: derselbe Startwert ergibt dieselben Eingaben.",
         "随机输入由此种子生成：相同的种子得到相同的输入。"),
    "Load Inputs…": ("Eingaben laden…", "加载输入…"),
    "Feed inputs from .npy or .pb files (matched to inputs by file name).":
        ("Eingaben aus .npy- oder .pb-Dateien speisen (Zuordnung über den Dateinamen).", "从 .npy 或 .pb 文件提供输入（按文件名匹配输入）。"),
    "Run": ("Ausführen", "运行"),
    "Run the model to see the values of every tensor: click an edge or a tensor name afterwards.":
        ("Führen Sie das Modell aus, um die Werte jedes Tensors zu sehen: klicken Sie danach auf eine Kante oder einen Tensornamen.",
         "运行模型即可查看每个张量的数值：之后点击一条边或一个张量名称。"),
    "Open a model to run it.": ("Öffnen Sie ein Modell, um es auszuführen.", "打开一个模型以运行它。"),
    "Values": ("Werte", "数值"),
    "Weights and constants show their values any time; every other tensor after a run.":
        ("Gewichte und Konstanten zeigen ihre Werte jederzeit, alle anderen Tensoren nach einer Ausführung.",
         "权重和常量随时显示数值；其他张量在运行之后显示。"),
    "Load Inputs": ("Eingaben laden", "加载输入"),
    "Arrays (*.npy *.pb);;All files (*)": ("Arrays (*.npy *.pb);;Alle Dateien (*)", "数组 (*.npy *.pb);;所有文件 (*)"),
    "No input is named like %1: name each file after the input it feeds.":
        ("Keine Eingabe heißt wie %1: benennen Sie jede Datei nach der Eingabe, die sie speist.",
         "没有与 %1 同名的输入：请按所提供的输入为每个文件命名。"),
    "%1 from %2": ("%1 aus %2", "%1 来自 %2"),
    "%1 random": ("%1 zufällig", "%1 随机"),
    "Inputs: %1": ("Eingaben: %1", "输入：%1"),
    "Running…": ("Wird ausgeführt…", "正在运行…"),
    "Running %1…": ("Führe %1 aus…", "正在运行 %1…"),
    "Run cancelled.": ("Ausführung abgebrochen.", "运行已取消。"),
    "Run failed: %1": ("Ausführung fehlgeschlagen: %1", "运行失败：%1"),
    "Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.":
        (["%n Knoten in %1 s ausgeführt; Aktivierungen höchstens %2. Klicken Sie auf eine Kante oder einen Tensornamen, um seine Werte zu sehen.",
          "%n Knoten in %1 s ausgeführt; Aktivierungen höchstens %2. Klicken Sie auf eine Kante oder einen Tensornamen, um seine Werte zu sehen."],
         ["已在 %1 秒内运行 %n 个节点；激活峰值 %2。点击一条边或一个张量名称即可查看其数值。"]),
    "computed by the last run (seed %1)": ("von der letzten Ausführung berechnet (Startwert %1)", "由上次运行计算（种子 %1）"),
    "'%1' is not a value of the main graph's last run (inside a subgraph?).":
        ("„%1“ ist kein Wert der letzten Ausführung des Hauptgraphen (in einem Teilgraphen?).", "“%1”不是主图上次运行的数值（位于子图中？）。"),
    "'%1' is computed while the model runs: press Run to see its values.":
        ("„%1“ wird bei der Ausführung des Modells berechnet: drücken Sie Ausführen, um seine Werte zu sehen.",
         "“%1”在模型运行时才计算：按“运行”查看其数值。"),
    "'%1' holds no numbers to show.": ("„%1“ enthält keine Zahlen zum Anzeigen.", "“%1”没有可显示的数字。"),
    "&Run": ("&Ausführen", "运行(&R)"),
    "&Run Model": ("Modell &ausführen", "运行模型(&R)"),
    "Ctrl+R": ("Ctrl+R", "Ctrl+R"),
    "Run the model on the CPU with random or loaded inputs, keeping every tensor's values":
        ("Das Modell auf der CPU mit zufälligen oder geladenen Eingaben ausführen und die Werte jedes Tensors behalten",
         "在 CPU 上用随机或加载的输入运行模型，并保留每个张量的数值"),
    "&Load Inputs…": ("Eingaben &laden…", "加载输入(&L)…"),
    "&Cancel Run": ("Ausführung a&bbrechen", "取消运行(&C)"),
    # graft::Stage
    "Reading the model": ("Modell wird gelesen", "正在读取模型"),
    "Inferring shapes": ("Formen werden inferiert", "正在推断形状"),
    "Computing statistics": ("Statistik wird berechnet", "正在计算统计信息"),
    "Validating": ("Wird geprüft", "正在验证"),
    "Preparing the node table": ("Knotentabelle wird vorbereitet", "正在准备节点表"),
    "Done": ("Fertig", "完成"),
    "Opening": ("Wird geöffnet", "正在打开"),
    "Parsing": ("Wird eingelesen", "正在解析"),
    "Building graph": ("Graph wird aufgebaut", "正在构建图"),
    "Loaded": ("Geladen", "已加载"),
    "Preparing shape inference": ("Forminferenz wird vorbereitet", "正在准备形状推断"),
    "Collecting inferred types": ("Inferierte Typen werden gesammelt", "正在收集推断出的类型"),
    "Checking inference node by node": ("Inferenz wird Knoten für Knoten geprüft", "正在逐个节点检查推断"),
    "Shape inference done": ("Forminferenz abgeschlossen", "形状推断完成"),
    "Graph": ("Graph", "计算图"),
    "Analysis": ("Analyse", "分析"),
    "analysing…": ("wird analysiert…", "正在分析…"),
    "Symbolic dims": ("Symbolische Dimensionen", "符号维度"),
    "counted as 1": ("als 1 gezählt", "按 1 计算"),
    # graft::MainWindow: backend chooser, rewrite and history docks, undo/redo, saving, unsaved changes
    "%1[*] — Graft": ("%1[*] — Graft", "%1[*] — Graft"),
    "Backend": ("Backend", "后端"),
    "Backend: ": ("Backend: ", "后端："),
    "The backend whose rules are matched on the model; its profile says what it fuses and what blocks it":
        ("Das Backend, dessen Regeln im Modell gesucht werden; sein Profil sagt, was es fusioniert und was es blockiert",
         "在模型上匹配其规则的后端；其配置文件说明它会融合什么、什么会阻碍它"),
    "None": ("Keins", "无"),
    "Load Profile File…": ("Profildatei laden…", "加载配置文件…"),
    "Load Rule File…": ("Regeldatei laden…", "加载规则文件…"),
    "Load Rule File": ("Regeldatei laden", "加载规则文件"),
    "Rule files (*.rules);;All files (*)": ("Regeldateien (*.rules);;Alle Dateien (*)", "规则文件 (*.rules);;所有文件 (*)"),
    "Could not load the rule file": ("Die Regeldatei konnte nicht geladen werden", "无法加载规则文件"),
    "Load Backend Profile": ("Backend-Profil laden", "加载后端配置文件"),
    "Backend profiles (*.profile);;All files (*)": ("Backend-Profile (*.profile);;Alle Dateien (*)", "后端配置文件 (*.profile);;所有文件 (*)"),
    "Could not load the profile": ("Das Profil konnte nicht geladen werden", "无法加载配置文件"),
    "Rewrite": ("Umschreiben", "改写"),
    "Opened model": ("Geöffnetes Modell", "打开的模型"),
    "History": ("Verlauf", "历史"),
    "&Undo": ("&Rückgängig", "撤销(&U)"),
    "&Redo": ("&Wiederherstellen", "重做(&R)"),
    "&Undo %1": ("%1 &rückgängig machen", "撤销 %1(&U)"),
    "&Redo %1": ("%1 &wiederherstellen", "重做 %1(&R)"),
    "&Save": ("&Speichern", "保存(&S)"),
    "Save &As…": ("Speichern &unter…", "另存为(&A)…"),
    "The rewrite was not applied": ("Die Umschreibung wurde nicht angewendet", "改写未应用"),
    "There is no model to save: open one first.": ("Es gibt kein Modell zum Speichern: Öffnen Sie zuerst eines.", "没有可保存的模型：请先打开一个。"),
    "Saved %1": ("%1 gespeichert", "已保存 %1"),
    "Could not save the model": ("Das Modell konnte nicht gespeichert werden", "无法保存模型"),
    "Save Model As": ("Modell speichern unter", "模型另存为"),
    "Unsaved Changes": ("Ungespeicherte Änderungen", "未保存的更改"),
    "%1 has rewrites that are not saved.": ("%1 enthält Umschreibungen, die noch nicht gespeichert sind.", "%1 有尚未保存的改写。"),
    "Save them before going on, discard them, or cancel and keep working?":
        ("Vorher speichern, verwerfen oder abbrechen und weiterarbeiten?", "继续之前保存它们、放弃它们，还是取消并继续工作？"),
    "Saving %1…": ("%1 wird gespeichert…", "正在保存 %1…"),
    "Saving %1": ("%1 wird gespeichert", "正在保存 %1"),
    "Saving was cancelled; %1 is as it was.": ("Das Speichern wurde abgebrochen; %1 ist unverändert.", "已取消保存；%1 保持原样。"),
    "Could not save the model; %1 is as it was.": ("Das Modell konnte nicht gespeichert werden; %1 ist unverändert.", "无法保存模型；%1 保持原样。"),
    "A save is still running; try again when it has finished.":
        ("Es wird noch gespeichert; versuchen Sie es danach erneut.", "仍在保存；请在完成后重试。"),
    # graft::RewritePanel
    "Rule / match": ("Regel / Treffer", "规则 / 匹配"),
    "Δ nodes": ("Δ Knoten", "Δ 节点"),
    "Becomes": ("Wird zu", "变为"),
    "Rule": ("Regel", "规则"),
    "At": ("Bei", "位置"),
    "Why not": ("Warum nicht", "为何未匹配"),
    "Op": ("Op", "算子"),
    "Why it blocks": ("Warum es blockiert", "阻碍原因"),
    "Matches": ("Treffer", "匹配"),
    "Blocks": ("Blockaden", "阻碍"),
    "Preview…": ("Vorschau…", "预览…"),
    "Before and after of the selected match, without changing the model":
        ("Vorher und nachher für den gewählten Treffer, ohne das Modell zu ändern", "所选匹配改写前后的对比，不修改模型"),
    "Apply": ("Anwenden", "应用"),
    "Apply the selected match (undoable)": ("Den gewählten Treffer anwenden (rückgängig machbar)", "应用所选匹配（可撤销）"),
    "Apply Rule": ("Regel anwenden", "应用规则"),
    "Apply every match of the selected rule (undoable)":
        ("Jeden Treffer der gewählten Regel anwenden (rückgängig machbar)", "应用所选规则的全部匹配（可撤销）"),
    "Apply Profile": ("Profil anwenden", "应用配置文件"),
    "Apply the whole profile to a fixed point (undoable)":
        ("Das ganze Profil bis zum Fixpunkt anwenden (rückgängig machbar)", "把整个配置文件应用到不动点（可撤销）"),
    "Matching…": ("Muster werden gesucht…", "正在匹配…"),
    "<b>Why not %1:</b> %2": ("<b>Warum nicht %1:</b> %2", "<b>%1 为何未匹配：</b>%2"),
    "<b>Backend will fuse:</b> %1 (left alone)": ("<b>Backend fusioniert selbst:</b> %1 (bleibt unverändert)", "<b>后端会自行融合：</b>%1（保持不动）"),
    "<b>%1</b> → %2 (%3 nodes)": ("<b>%1</b> → %2 (%3 Knoten)", "<b>%1</b> → %2（%3 个节点）"),
    "<b><span style=\"color:%1\">Blocks:</span></b> %2": ("<b><span style=\"color:%1\">Blockiert:</span></b> %2", "<b><span style=\"color:%1\">阻碍：</span></b>%2"),
    "Choose a backend in the toolbar to see what its rules match.":
        ("Wählen Sie in der Werkzeugleiste ein Backend, um zu sehen, was seine Regeln finden.", "在工具栏中选择一个后端，查看其规则匹配到什么。"),
    "Open a model to match %1.": ("Öffnen Sie ein Modell, um die Regeln von %1 darauf zu suchen.", "打开一个模型以匹配 %1 的规则。"),
    "Backend will fuse (%1)": ("Backend fusioniert selbst (%1)", "后端会自行融合（%1）"),
    "left alone": ("bleibt unverändert", "保持不动"),
    "blocks": ("blockiert", "阻碍"),
    "backend will fuse": ("Backend fusioniert selbst", "后端会自行融合"),
    "why not (hover)": ("warum nicht (Maus darüber)", "为何未匹配（悬停查看）"),
    "%1: %2 in %3 · %4 · %5 · %6": ("%1: %2 in %3 · %4 · %5 · %6", "%1：%3中 %2 · %4 · %5 · %6"),
    "%n rule(s)": (["%n Regel", "%n Regeln"], ["%n 条规则"]),
    "%n block(s)": (["%n Blockade", "%n Blockaden"], ["%n 处阻碍"]),
    "%n backend fusion(s)": (["%n Backend-Fusion", "%n Backend-Fusionen"], ["%n 处后端融合"]),
    "%n near miss(es)": (["%n Beinahe-Treffer", "%n Beinahe-Treffer"], ["%n 个差点匹配"]),
    "Matches (%1)": ("Treffer (%1)", "匹配（%1）"),
    "Why not (%1)": ("Warum nicht (%1)", "为何未匹配（%1）"),
    "Blocks (%1)": ("Blockaden (%1)", "阻碍（%1）"),
    # graft::RewritePreviewDialog
    "Preview: %1": ("Vorschau: %1", "预览：%1"),
    "removed by the rewrite": ("durch die Umschreibung entfernt", "被改写删除"),
    "added by the rewrite": ("durch die Umschreibung hinzugefügt", "由改写添加"),
    "changed by the rewrite": ("durch die Umschreibung geändert", "被改写修改"),
    "removed (%1)": ("entfernt (%1)", "删除（%1）"),
    "added (%1)": ("hinzugefügt (%1)", "添加（%1）"),
    "changed (%1)": ("geändert (%1)", "修改（%1）"),
    "Nothing is committed until you apply.": ("Nichts wird übernommen, bevor Sie anwenden.", "在应用之前不会提交任何更改。"),
    "Before": ("Vorher", "之前"),
    "After": ("Nachher", "之后"),
    "Apply This Rewrite": ("Diese Umschreibung anwenden", "应用此改写"),
    # graft::RewriteSession
    "%n rewrite(s)": (["%n Umschreibung", "%n Umschreibungen"], ["%n 处改写"]),
    "%1 nodes": ("%1 Knoten", "%1 个节点"),
    "Matching": ("Muster werden gesucht", "正在匹配"),
    "The list of matches is out of date; wait for matching to finish and try again.":
        ("Die Trefferliste ist veraltet; warten Sie, bis die Suche fertig ist, und versuchen Sie es erneut.", "匹配列表已过时；请等待匹配完成后重试。"),
    "Apply %1 at %2": ("%1 bei %2 anwenden", "在 %2 处应用 %1"),
    "Apply all matches of %1": ("Alle Treffer von %1 anwenden", "应用 %1 的全部匹配"),
    "Apply profile %1": ("Profil %1 anwenden", "应用配置文件 %1"),
    "Preparing the preview": ("Vorschau wird vorbereitet", "正在准备预览"),
    "Undoing": ("Wird rückgängig gemacht", "正在撤销"),
    "Redoing": ("Wird wiederhergestellt", "正在重做"),
    "Analysing the model": ("Modell wird analysiert", "正在分析模型"),
    "Cancelled; the model is unchanged.": ("Abgebrochen; das Modell ist unverändert.", "已取消；模型未改变。"),
    "Cancelled midway; what was already rewritten is undone, the model is unchanged.":
        ("Mittendrin abgebrochen; bereits Umgeschriebenes wurde rückgängig gemacht, das Modell ist unverändert.",
         "已中途取消；已完成的改写均已撤销，模型未改变。"),
    "Another model was opened while saving.": ("Während des Speicherns wurde ein anderes Modell geöffnet.", "保存期间打开了另一个模型。"),
    "Nothing to apply: no match changed the graph.": ("Nichts anzuwenden: Kein Treffer hat den Graphen verändert.", "没有可应用的内容：没有匹配改变图。"),
    # main
    "Graft: a desktop studio for ONNX models.": ("Graft: ein Desktop-Studio für ONNX-Modelle.", "Graft：ONNX 模型桌面工作室。"),
    "The .onnx model to open.": ("Das zu öffnende .onnx-Modell.", "要打开的 .onnx 模型。"),
    "Open the model without showing a window, save a picture of the window to <png> and exit.":
        ("Das Modell öffnen, ohne ein Fenster zu zeigen, ein Bild des Fensters in <png> speichern und beenden.",
         "打开模型但不显示窗口，把窗口画面保存到 <png> 后退出。"),
    "Window size for --screenshot, e.g. 1400x900.": ("Fenstergröße für --screenshot, z. B. 1400x900.", "--screenshot 的窗口大小，例如 1400x900。"),
    "Select the node with this name after opening.": ("Nach dem Öffnen den Knoten mit diesem Namen auswählen.", "打开后选中具有此名称的节点。"),
    "Open the graph with groups expanded: 'all' opens every group.":
        ("Den Graphen mit geöffneten Gruppen anzeigen: 'all' öffnet jede Gruppe.", "打开图时展开分组：'all' 展开所有分组。"),
    "--expand takes 'all' (open every group).": ("--expand erwartet 'all' (jede Gruppe öffnen).", "--expand 的值应为 'all'（展开所有分组）。"),
    "Log debug messages too.": ("Auch Debug-Meldungen protokollieren.", "同时记录调试信息。"),
    "--size must look like 1400x900.": ("--size muss die Form 1400x900 haben.", "--size 的格式应为 1400x900。"),
    "No node named %1 in the model.": ("Das Modell hat keinen Knoten namens %1.", "模型中没有名为 %1 的节点。"),
    "Could not write %1.": ("%1 konnte nicht geschrieben werden.", "无法写入 %1。"),
}

ENGLISH_PLURALS = {
    "Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.":
        ["Ran %n node in %1 s; peak activations %2. Click an edge or a tensor name to see its values.",
         "Ran %n nodes in %1 s; peak activations %2. Click an edge or a tensor name to see its values."],
    "%n node(s)": ["%n node", "%n nodes"],
    "%n problem(s)": ["%n problem", "%n problems"],
    "%1 in %n file(s)": ["%1 in %n file", "%1 in %n files"],
    "Op histogram (%n op type(s))": ["Op histogram (%n op type)", "Op histogram (%n op types)"],
    "(%n node(s))": ["(%n node)", "(%n nodes)"],
    "%n tensor(s)": ["%n tensor", "%n tensors"],
    "%n use(s)": ["%n use", "%n uses"],
    "%n group(s)": ["%n group", "%n groups"],
    "%n match(es)": ["%n match", "%n matches"],
    "%n rule(s)": ["%n rule", "%n rules"],
    "%n block(s)": ["%n block", "%n blocks"],
    "%n backend fusion(s)": ["%n backend fusion", "%n backend fusions"],
    "%n near miss(es)": ["%n near miss", "%n near misses"],
    "%n rewrite(s)": ["%n rewrite", "%n rewrites"],
}


MESSAGE = re.compile(
    r'(?P<head><message(?P<numerus> numerus="yes")?>\s*<source>(?P<source>.*?)</source>.*?)'
    r'<translation[^>]*?(?:/>|>(?P<body>.*?)</translation>)',
    re.S)


def fill(path: Path, pick) -> list:
    """Rewrites only the <translation> elements, keeping lupdate's layout byte for byte."""
    text = path.read_text(encoding="utf-8")
    missing = []

    def replace(m):
        source = html.unescape(m.group("source"))
        value = pick(source)
        if value is None:
            missing.append(source)
            return m.group(0)
        if m.group("numerus"):
            forms = value if isinstance(value, list) else [value]
            inner = "".join(f"\n            <numerusform>{escape(f)}</numerusform>" for f in forms)
            return f"{m.group('head')}<translation>{inner}\n        </translation>"
        return f"{m.group('head')}<translation>{escape(value if isinstance(value, str) else value[0])}</translation>"

    text = MESSAGE.sub(replace, text)
    path.write_text(text, encoding="utf-8")
    return missing


def main() -> int:
    missing = []
    missing += fill(HERE / "graft_de.ts", lambda s: T[s][0] if s in T else None)
    missing += fill(HERE / "graft_zh_CN.ts", lambda s: T[s][1] if s in T else None)
    missing += fill(HERE / "graft_en.ts", lambda s: ENGLISH_PLURALS.get(s))
    for s in sorted(set(missing)):
        print(f"no translation for: {s!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
