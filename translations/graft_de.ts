<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>graft</name>
    <message>
        <source>Checked by the onnx checker and shape inference; outputs not compared</source>
        <translation>Vom onnx-Prüfer und der Forminferenz geprüft; Ausgaben nicht verglichen</translation>
    </message>
    <message>
        <source>Not verified</source>
        <translation>Nicht geprüft</translation>
    </message>
</context>
<context>
    <name>graft::AttributeTable</name>
    <message>
        <source>Attribute</source>
        <translation>Attribut</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Double-click a value to change it (3, 0.5, 1,2,3 or text); clear it to remove the attribute</source>
        <translation>Doppelklicken Sie einen Wert, um ihn zu ändern (3, 0.5, 1,2,3 oder Text); leeren Sie ihn, um das Attribut zu entfernen</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>nicht gesetzt</translation>
    </message>
    <message>
        <source>not set; default %1</source>
        <translation>nicht gesetzt; Standard %1</translation>
    </message>
</context>
<context>
    <name>graft::DiffView</name>
    <message>
        <source>same</source>
        <translation>gleich</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>geändert</translation>
    </message>
    <message>
        <source>added</source>
        <translation>hinzugefügt</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>entfernt</translation>
    </message>
    <message>
        <source>fused</source>
        <translation>fusioniert</translation>
    </message>
    <message>
        <source>split</source>
        <translation>aufgeteilt</translation>
    </message>
    <message numerus="yes">
        <source>… (%n nodes)</source>
        <translation>
            <numerusform>… (%n Knoten)</numerusform>
            <numerusform>… (%n Knoten)</numerusform>
        </translation>
    </message>
    <message>
        <source>(root)</source>
        <translation>(Wurzel)</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>Op</translation>
    </message>
    <message>
        <source>Node in A</source>
        <translation>Knoten in A</translation>
    </message>
    <message>
        <source>Node in B</source>
        <translation>Knoten in B</translation>
    </message>
    <message>
        <source>Scope</source>
        <translation>Bereich</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>Änderungen</translation>
    </message>
    <message>
        <source>Changes only</source>
        <translation>Nur Änderungen</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>Alle Arten</translation>
    </message>
    <message>
        <source>All scopes</source>
        <translation>Alle Bereiche</translation>
    </message>
    <message>
        <source>Numeric</source>
        <translation>Numerisch</translation>
    </message>
    <message>
        <source>Colour nodes by the error of their output after a numeric run</source>
        <translation>Knoten nach dem Fehler ihrer Ausgabe nach einem numerischen Lauf färben</translation>
    </message>
    <message>
        <source>Run Numeric Diff</source>
        <translation>Numerischen Vergleich starten</translation>
    </message>
    <message>
        <source>Run both models on the same seeded inputs and compare every paired value</source>
        <translation>Beide Modelle mit denselben Zufallseingaben ausführen und jeden zugeordneten Wert vergleichen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>Art:</translation>
    </message>
    <message>
        <source>Scope:</source>
        <translation>Bereich:</translation>
    </message>
    <message>
        <source>(in memory)</source>
        <translation>(im Speicher)</translation>
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
        <translation>%1 gleich</translation>
    </message>
    <message>
        <source>%1 changed</source>
        <translation>%1 geändert</translation>
    </message>
    <message>
        <source>%1 added</source>
        <translation>%1 hinzugefügt</translation>
    </message>
    <message>
        <source>%1 removed</source>
        <translation>%1 entfernt</translation>
    </message>
    <message>
        <source>%1 fused</source>
        <translation>%1 fusioniert</translation>
    </message>
    <message>
        <source>%1 split</source>
        <translation>%1 aufgeteilt</translation>
    </message>
    <message>
        <source>weights: %1 changed, %2 added, %3 removed</source>
        <translation>Gewichte: %1 geändert, %2 hinzugefügt, %3 entfernt</translation>
    </message>
    <message>
        <source>%1 of %2 nodes of A paired</source>
        <translation>%1 von %2 Knoten von A zugeordnet</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>Modell: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n model change(s)</source>
        <translation>
            <numerusform>%n Modelländerung</numerusform>
            <numerusform>%n Modelländerungen</numerusform>
        </translation>
    </message>
    <message>
        <source>Numbers part first at &lt;b&gt;%1&lt;/b&gt; (%2), max abs %3</source>
        <translation>Die Zahlen weichen zuerst bei &lt;b&gt;%1&lt;/b&gt; ab (%2), max. Abweichung %3</translation>
    </message>
    <message>
        <source>Every paired value is within tolerance.</source>
        <translation>Jeder zugeordnete Wert liegt innerhalb der Toleranz.</translation>
    </message>
    <message>
        <source>The numeric diff failed: %1</source>
        <translation>Der numerische Vergleich ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>max abs error %1</source>
        <translation>max. absoluter Fehler %1</translation>
    </message>
    <message>
        <source>Another diff was shown before the numeric diff finished.</source>
        <translation>Ein anderer Vergleich wurde angezeigt, bevor der numerische Vergleich fertig war.</translation>
    </message>
</context>
<context>
    <name>graft::EditSession</name>
    <message>
        <source>There is no model to edit: open one first.</source>
        <translation>Es gibt kein Modell zum Bearbeiten: Öffnen Sie zuerst eines.</translation>
    </message>
    <message>
        <source>The model is being analysed or rewritten; try again when that has finished.</source>
        <translation>Das Modell wird gerade analysiert oder umgeschrieben; versuchen Sie es danach erneut.</translation>
    </message>
    <message numerus="yes">
        <source>Apply recipe (%n step(s))</source>
        <translation>
            <numerusform>Rezept anwenden (%n Schritt)</numerusform>
            <numerusform>Rezept anwenden (%n Schritte)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::FindPanel</name>
    <message>
        <source>Find a node by name, op type or tensor name</source>
        <translation>Knoten nach Name, Operatortyp oder Tensorname suchen</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>Schließen (Esc)</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n Treffer</numerusform>
            <numerusform>%n Treffer</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::Format</name>
    <message>
        <source>subgraph</source>
        <translation>Teilgraph</translation>
    </message>
    <message>
        <source>subgraphs</source>
        <translation>Teilgraphen</translation>
    </message>
    <message>
        <source>sparse %1</source>
        <translation>dünnbesetzt %1</translation>
    </message>
    <message>
        <source>type</source>
        <translation>Typ</translation>
    </message>
    <message numerus="yes">
        <source>Verified: max abs diff %1 on %n input set(s)</source>
        <translation>
            <numerusform>Geprüft: max. Abweichung %1 an %n Eingabesatz</numerusform>
            <numerusform>Geprüft: max. Abweichung %1 an %n Eingabesätzen</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::GraphCanvas</name>
    <message>
        <source>scalar</source>
        <translation>Skalar</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Einpassen</translation>
    </message>
    <message>
        <source>Fit the graph in the view (F)</source>
        <translation>Graph in die Ansicht einpassen (F)</translation>
    </message>
    <message>
        <source>100%</source>
        <translation>100 %</translation>
    </message>
    <message>
        <source>Actual size (1)</source>
        <translation>Originalgröße (1)</translation>
    </message>
    <message>
        <source>Expand all</source>
        <translation>Aufklappen</translation>
    </message>
    <message>
        <source>Open every group</source>
        <translation>Alle Gruppen öffnen</translation>
    </message>
    <message>
        <source>Collapse all</source>
        <translation>Zuklappen</translation>
    </message>
    <message>
        <source>Close every group</source>
        <translation>Alle Gruppen schließen</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>Find a node (Ctrl+F)</source>
        <translation>Knoten suchen (Strg+F)</translation>
    </message>
    <message>
        <source>Laying out…</source>
        <translation>Wird angeordnet…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Layout failed</source>
        <translation>Anordnung fehlgeschlagen</translation>
    </message>
    <message>
        <source>main graph</source>
        <translation>Hauptgraph</translation>
    </message>
    <message>
        <source>produces %1</source>
        <translation>erzeugt %1</translation>
    </message>
    <message>
        <source>reads %1</source>
        <translation>liest %1</translation>
    </message>
    <message>
        <source> (in %1)</source>
        <translation> (in %1)</translation>
    </message>
    <message>
        <source>There is no graph to export: open a model first.</source>
        <translation>Es gibt keinen Graphen zum Exportieren: Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>Could not write %1: check that the folder exists and is writable.</source>
        <translation>%1 konnte nicht geschrieben werden: Prüfen Sie, ob der Ordner existiert und beschreibbar ist.</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n Gruppe</numerusform>
            <numerusform>%n Gruppen</numerusform>
        </translation>
    </message>
    <message>
        <source>shape computation</source>
        <translation>Formberechnung</translation>
    </message>
    <message>
        <source>There is no selection to export: click a node or a group first.</source>
        <translation>Es gibt keine Auswahl zum Exportieren: Klicken Sie zuerst einen Knoten oder eine Gruppe an.</translation>
    </message>
</context>
<context>
    <name>graft::GraphView</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::HistogramView</name>
    <message>
        <source>No histogram</source>
        <translation>Kein Histogramm</translation>
    </message>
    <message>
        <source>count (√ scale)</source>
        <translation>Anzahl (√-Skala)</translation>
    </message>
</context>
<context>
    <name>graft::InputShapeTable</name>
    <message>
        <source>Input</source>
        <translation>Eingang</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>Form</translation>
    </message>
    <message>
        <source>Double-click a type (float32, float16, int64, …) or a shape (1x3x224x224, batchx3x?x?) to change it</source>
        <translation>Doppelklicken Sie einen Typ (float32, float16, int64, …) oder eine Form (1x3x224x224, batchx3x?x?), um sie zu ändern</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an element type (float32, float16, int64, int32, uint8, bool, …)</source>
        <translation>'%1' ist kein Elementtyp (float32, float16, int64, int32, uint8, bool, …)</translation>
    </message>
</context>
<context>
    <name>graft::MainWindow</name>
    <message>
        <source>Graph</source>
        <translation>Graph</translation>
    </message>
    <message>
        <source>Open an ONNX model to inspect it</source>
        <translation>Öffnen Sie ein ONNX-Modell, um es zu untersuchen</translation>
    </message>
    <message>
        <source>Use File → Open (%1), drop a .onnx file on this window, or pick one from File → Open Recent.</source>
        <translation>Verwenden Sie Datei → Öffnen (%1), ziehen Sie eine .onnx-Datei auf dieses Fenster oder wählen Sie eine unter Datei → Zuletzt geöffnet.</translation>
    </message>
    <message>
        <source>Open Model…</source>
        <translation>Modell öffnen…</translation>
    </message>
    <message>
        <source>Filter nodes by name, op type or tensor name</source>
        <translation>Knoten nach Name, Operatortyp oder Tensorname filtern</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Protokoll</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>Ö&amp;ffnen…</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>&amp;Zuletzt geöffnet</translation>
    </message>
    <message>
        <source>Re&amp;load</source>
        <translation>&amp;Neu laden</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Filter Nodes</source>
        <translation>Knoten &amp;filtern</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About Graft</source>
        <translation>Ü&amp;ber Graft</translation>
    </message>
    <message>
        <source>About Graft</source>
        <translation>Über Graft</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Bereit</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Opening %1…</source>
        <translation>%1 wird geöffnet…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>Open Model</source>
        <translation>Modell öffnen</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx);;All files (*)</source>
        <translation>ONNX-Modelle (*.onnx);;Alle Dateien (*)</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 parameters</source>
        <translation>%1 Parameter</translation>
    </message>
    <message>
        <source>%1 FLOPs</source>
        <translation>%1 FLOPs</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s)</source>
        <translation>
            <numerusform>%n Problem</numerusform>
            <numerusform>%n Probleme</numerusform>
        </translation>
    </message>
    <message>
        <source>no problems</source>
        <translation>keine Probleme</translation>
    </message>
    <message>
        <source>Could not open %1; still showing %2.</source>
        <translation>%1 konnte nicht geöffnet werden; %2 wird weiter angezeigt.</translation>
    </message>
    <message>
        <source>Could not open %1.</source>
        <translation>%1 konnte nicht geöffnet werden.</translation>
    </message>
    <message>
        <source>Could not open model</source>
        <translation>Modell konnte nicht geöffnet werden</translation>
    </message>
    <message>
        <source>Graft could not open %1.</source>
        <translation>Graft konnte %1 nicht öffnen.</translation>
    </message>
    <message>
        <source>Opening %1 was cancelled.</source>
        <translation>Das Öffnen von %1 wurde abgebrochen.</translation>
    </message>
    <message>
        <source>No recent files</source>
        <translation>Keine zuletzt geöffneten Dateien</translation>
    </message>
    <message>
        <source>&amp;Clear Recent Files</source>
        <translation>Liste &amp;leeren</translation>
    </message>
    <message>
        <source>%1 of %2 nodes</source>
        <translation>%1 von %2 Knoten</translation>
    </message>
    <message>
        <source>Graft</source>
        <translation>Graft</translation>
    </message>
    <message>
        <source>FLOPs unknown</source>
        <translation>FLOPs unbekannt</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>Werte</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Ausführen</translation>
    </message>
    <message>
        <source>&amp;Run Model</source>
        <translation>Modell &amp;ausführen</translation>
    </message>
    <message>
        <source>Ctrl+R</source>
        <translation>Ctrl+R</translation>
    </message>
    <message>
        <source>Run the model on the CPU with random or loaded inputs, keeping every tensor&apos;s values</source>
        <translation>Das Modell auf der CPU mit zufälligen oder geladenen Eingaben ausführen und die Werte jedes Tensors behalten</translation>
    </message>
    <message>
        <source>&amp;Load Inputs…</source>
        <translation>Eingaben &amp;laden…</translation>
    </message>
    <message>
        <source>&amp;Cancel Run</source>
        <translation>Ausführung a&amp;bbrechen</translation>
    </message>
    <message>
        <source>%1[*] — Graft</source>
        <translation>%1[*] — Graft</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>Backend: </source>
        <translation>Backend: </translation>
    </message>
    <message>
        <source>The backend whose rules are matched on the model; its profile says what it fuses and what blocks it</source>
        <translation>Das Backend, dessen Regeln im Modell gesucht werden; sein Profil sagt, was es fusioniert und was es blockiert</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Keins</translation>
    </message>
    <message>
        <source>Load Profile File…</source>
        <translation>Profildatei laden…</translation>
    </message>
    <message>
        <source>Load Rule File…</source>
        <translation>Regeldatei laden…</translation>
    </message>
    <message>
        <source>Load Rule File</source>
        <translation>Regeldatei laden</translation>
    </message>
    <message>
        <source>Rule files (*.rules);;All files (*)</source>
        <translation>Regeldateien (*.rules);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Could not load the rule file</source>
        <translation>Die Regeldatei konnte nicht geladen werden</translation>
    </message>
    <message>
        <source>Load Backend Profile</source>
        <translation>Backend-Profil laden</translation>
    </message>
    <message>
        <source>Backend profiles (*.profile);;All files (*)</source>
        <translation>Backend-Profile (*.profile);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Could not load the profile</source>
        <translation>Das Profil konnte nicht geladen werden</translation>
    </message>
    <message>
        <source>Rewrite</source>
        <translation>Umschreiben</translation>
    </message>
    <message>
        <source>Opened model</source>
        <translation>Geöffnetes Modell</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Wiederherstellen</translation>
    </message>
    <message>
        <source>&amp;Undo %1</source>
        <translation>%1 &amp;rückgängig machen</translation>
    </message>
    <message>
        <source>&amp;Redo %1</source>
        <translation>%1 &amp;wiederherstellen</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Speichern</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>Speichern &amp;unter…</translation>
    </message>
    <message>
        <source>The rewrite was not applied</source>
        <translation>Die Umschreibung wurde nicht angewendet</translation>
    </message>
    <message>
        <source>There is no model to save: open one first.</source>
        <translation>Es gibt kein Modell zum Speichern: Öffnen Sie zuerst eines.</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>%1 gespeichert</translation>
    </message>
    <message>
        <source>Could not save the model</source>
        <translation>Das Modell konnte nicht gespeichert werden</translation>
    </message>
    <message>
        <source>Save Model As</source>
        <translation>Modell speichern unter</translation>
    </message>
    <message>
        <source>analysing…</source>
        <translation>wird analysiert…</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
    <message>
        <source>%1 has rewrites that are not saved.</source>
        <translation>%1 enthält Umschreibungen, die noch nicht gespeichert sind.</translation>
    </message>
    <message>
        <source>Save them before going on, discard them, or cancel and keep working?</source>
        <translation>Vorher speichern, verwerfen oder abbrechen und weiterarbeiten?</translation>
    </message>
    <message>
        <source>Saving %1…</source>
        <translation>%1 wird gespeichert…</translation>
    </message>
    <message>
        <source>Saving was cancelled; %1 is as it was.</source>
        <translation>Das Speichern wurde abgebrochen; %1 ist unverändert.</translation>
    </message>
    <message>
        <source>Could not save the model; %1 is as it was.</source>
        <translation>Das Modell konnte nicht gespeichert werden; %1 ist unverändert.</translation>
    </message>
    <message>
        <source>A save is still running; try again when it has finished.</source>
        <translation>Es wird noch gespeichert; versuchen Sie es danach erneut.</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>&amp;Tastenkürzel</translation>
    </message>
    <message numerus="yes">
        <source>%1 FLOPs, unknown for %n node(s)</source>
        <translation>
            <numerusform>%1 FLOPs, unbekannt für %n Knoten</numerusform>
            <numerusform>%1 FLOPs, unbekannt für %n Knoten</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Export Graph</source>
        <translation>Graph &amp;exportieren</translation>
    </message>
    <message>
        <source>&amp;Whole Graph…</source>
        <translation>&amp;Ganzer Graph…</translation>
    </message>
    <message>
        <source>&amp;Visible Part…</source>
        <translation>&amp;Sichtbarer Teil…</translation>
    </message>
    <message>
        <source>&amp;Selection…</source>
        <translation>&amp;Auswahl…</translation>
    </message>
    <message>
        <source>Ctrl+E</source>
        <translation>Ctrl+E</translation>
    </message>
    <message>
        <source>Export Graph</source>
        <translation>Graph exportieren</translation>
    </message>
    <message>
        <source>SVG image (*.svg);;PNG image (*.png)</source>
        <translation>SVG-Bild (*.svg);;PNG-Bild (*.png)</translation>
    </message>
    <message>
        <source>Exported the graph to %1</source>
        <translation>Graph nach %1 exportiert</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>&amp;Vergrößern</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>Ver&amp;kleinern</translation>
    </message>
    <message>
        <source>&amp;Actual Size</source>
        <translation>&amp;Originalgröße</translation>
    </message>
    <message>
        <source>Ctrl+0</source>
        <translation>Ctrl+0</translation>
    </message>
    <message>
        <source>&amp;Fit Graph</source>
        <translation>Graph &amp;einpassen</translation>
    </message>
    <message>
        <source>Ctrl+Shift+F</source>
        <translation>Ctrl+Shift+F</translation>
    </message>
    <message>
        <source>E&amp;xpand All Groups</source>
        <translation>Alle Gruppen &amp;ausklappen</translation>
    </message>
    <message>
        <source>&amp;Collapse All Groups</source>
        <translation>Alle Gruppen &amp;einklappen</translation>
    </message>
    <message>
        <source>Fold &amp;Constants</source>
        <translation>&amp;Konstanten einfalten</translation>
    </message>
    <message>
        <source>Draw Constant nodes as badges on the nodes that read them, like weights</source>
        <translation>Constant-Knoten wie Gewichte als Plaketten an den lesenden Knoten zeichnen</translation>
    </message>
    <message>
        <source>Collapse &amp;Shape Computations</source>
        <translation>&amp;Formberechnungen zusammenfassen</translation>
    </message>
    <message>
        <source>Draw each chain of Shape, Gather, Unsqueeze, Concat… that computes a shape as one box</source>
        <translation>Jede Kette aus Shape, Gather, Unsqueeze, Concat…, die eine Form berechnet, als ein Kasten zeichnen</translation>
    </message>
    <message>
        <source>&amp;Edge Labels</source>
        <translation>&amp;Kantenbeschriftungen</translation>
    </message>
    <message>
        <source>&amp;Minimap</source>
        <translation>Über&amp;sichtskarte</translation>
    </message>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>Tastenkürzel</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Tasten</translation>
    </message>
    <message>
        <source>Graph: zoom in / out</source>
        <translation>Graph: vergrößern / verkleinern</translation>
    </message>
    <message>
        <source>Graph: fit / 100%</source>
        <translation>Graph: einpassen / 100 %</translation>
    </message>
    <message>
        <source>Graph: move between nodes</source>
        <translation>Graph: zwischen Knoten wechseln</translation>
    </message>
    <message>
        <source>Arrow keys</source>
        <translation>Pfeiltasten</translation>
    </message>
    <message>
        <source>Graph: open a group or subgraph / go back</source>
        <translation>Graph: Gruppe oder Teilgraph öffnen / zurück</translation>
    </message>
    <message>
        <source>Enter, Backspace</source>
        <translation>Eingabe, Rücktaste</translation>
    </message>
    <message>
        <source>Graph: pan</source>
        <translation>Graph: verschieben</translation>
    </message>
    <message>
        <source>Space + drag, Page Up, Page Down</source>
        <translation>Leertaste + Ziehen, Bild auf, Bild ab</translation>
    </message>
    <message>
        <source>Quantize</source>
        <translation>Quantisieren</translation>
    </message>
    <message>
        <source>Quantization failed</source>
        <translation>Quantisierung fehlgeschlagen</translation>
    </message>
    <message>
        <source>&amp;Diff With…</source>
        <translation>&amp;Vergleichen mit…</translation>
    </message>
    <message>
        <source>Compare the open model with another model side by side</source>
        <translation>Das geöffnete Modell nebeneinander mit einem anderen Modell vergleichen</translation>
    </message>
    <message>
        <source>Diff With</source>
        <translation>Vergleichen mit</translation>
    </message>
    <message>
        <source>Compare with &amp;Original</source>
        <translation>Mit &amp;Original vergleichen</translation>
    </message>
    <message>
        <source>Compare the model as edited with the file on disk</source>
        <translation>Das bearbeitete Modell mit der Datei auf der Festplatte vergleichen</translation>
    </message>
    <message>
        <source>Comparing with %1</source>
        <translation>Vergleich mit %1</translation>
    </message>
    <message>
        <source>Comparing with the file on disk</source>
        <translation>Vergleich mit der Datei auf der Festplatte</translation>
    </message>
    <message>
        <source>Wait until the running rewrite has finished, then compare again.</source>
        <translation>Warten Sie, bis die laufende Umschreibung fertig ist, und vergleichen Sie dann erneut.</translation>
    </message>
    <message>
        <source>Diff</source>
        <translation>Vergleich</translation>
    </message>
    <message>
        <source>%1 (as edited)</source>
        <translation>%1 (bearbeitet)</translation>
    </message>
    <message>
        <source>Diff — %1 ↔ %2</source>
        <translation>Vergleich — %1 ↔ %2</translation>
    </message>
    <message>
        <source>Add Output “%1”</source>
        <translation>Ausgang „%1“ hinzufügen</translation>
    </message>
    <message>
        <source>Select a node on the canvas first (nodes without a name cannot be edited by name).</source>
        <translation>Wählen Sie zuerst einen Knoten im Graphen (Knoten ohne Namen lassen sich nicht über den Namen bearbeiten).</translation>
    </message>
    <message>
        <source>&amp;Delete Node</source>
        <translation>Knoten &amp;löschen</translation>
    </message>
    <message>
        <source>Remove the selected node and connect its readers to its first input</source>
        <translation>Den ausgewählten Knoten entfernen und seine Leser mit seinem ersten Eingang verbinden</translation>
    </message>
    <message>
        <source>Delete Node and &amp;Downstream</source>
        <translation>Knoten und &amp;Nachfolger löschen</translation>
    </message>
    <message>
        <source>Remove the selected node and everything that reads from it</source>
        <translation>Den ausgewählten Knoten und alles, was von ihm liest, entfernen</translation>
    </message>
    <message>
        <source>&amp;Rename Node…</source>
        <translation>Knoten &amp;umbenennen…</translation>
    </message>
    <message>
        <source>Rename Node</source>
        <translation>Knoten umbenennen</translation>
    </message>
    <message>
        <source>New name of %1:</source>
        <translation>Neuer Name für %1:</translation>
    </message>
    <message>
        <source>&amp;Add Node…</source>
        <translation>Knoten &amp;hinzufügen…</translation>
    </message>
    <message>
        <source>E&amp;xtract Selection…</source>
        <translation>Auswahl e&amp;xtrahieren…</translation>
    </message>
    <message>
        <source>&amp;Export Recipe…</source>
        <translation>Rezept &amp;exportieren…</translation>
    </message>
    <message>
        <source>Write the history as a recipe that replays on another export of this model</source>
        <translation>Den Verlauf als Rezept schreiben, das sich auf einem anderen Export dieses Modells abspielen lässt</translation>
    </message>
    <message>
        <source>Export Recipe</source>
        <translation>Rezept exportieren</translation>
    </message>
    <message>
        <source>Graft recipes (*.json);;All files (*)</source>
        <translation>Graft-Rezepte (*.json);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Apply Re&amp;cipe…</source>
        <translation>Re&amp;zept anwenden…</translation>
    </message>
    <message>
        <source>Apply Recipe</source>
        <translation>Rezept anwenden</translation>
    </message>
    <message>
        <source>Every step applied or was already true.</source>
        <translation>Jeder Schritt wurde angewendet oder galt bereits.</translation>
    </message>
    <message>
        <source>Some steps did not apply.</source>
        <translation>Einige Schritte wurden nicht angewendet.</translation>
    </message>
    <message>
        <source>The edit was not applied</source>
        <translation>Die Bearbeitung wurde nicht angewendet</translation>
    </message>
    <message>
        <source>The history has no edits or rewrites to export.</source>
        <translation>Der Verlauf enthält keine Bearbeitungen oder Umschreibungen zum Exportieren.</translation>
    </message>
    <message numerus="yes">
        <source>Wrote a recipe of %n step(s) to %1</source>
        <translation>
            <numerusform>Rezept mit %n Schritt nach %1 geschrieben</numerusform>
            <numerusform>Rezept mit %n Schritten nach %1 geschrieben</numerusform>
        </translation>
    </message>
    <message>
        <source>applied</source>
        <translation>angewendet</translation>
    </message>
    <message>
        <source>already true</source>
        <translation>galt bereits</translation>
    </message>
    <message>
        <source>not applicable</source>
        <translation>nicht anwendbar</translation>
    </message>
    <message>
        <source>Add Node</source>
        <translation>Knoten hinzufügen</translation>
    </message>
    <message>
        <source>Search ops by name</source>
        <translation>Operatoren nach Namen suchen</translation>
    </message>
    <message>
        <source>value names, comma-separated</source>
        <translation>Wertnamen, durch Kommas getrennt</translation>
    </message>
    <message>
        <source>made up from the op when empty</source>
        <translation>leer: aus dem Operator gebildet</translation>
    </message>
    <message>
        <source>axis=-1; perm=0,2,1</source>
        <translation>axis=-1; perm=0,2,1</translation>
    </message>
    <message>
        <source>Inputs:</source>
        <translation>Eingänge:</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Attributes:</source>
        <translation>Attribute:</translation>
    </message>
    <message>
        <source>Extract Subgraph</source>
        <translation>Teilgraph extrahieren</translation>
    </message>
    <message>
        <source>The nodes between these values are saved as a new model.</source>
        <translation>Die Knoten zwischen diesen Werten werden als neues Modell gespeichert.</translation>
    </message>
    <message>
        <source>Outputs:</source>
        <translation>Ausgänge:</translation>
    </message>
    <message>
        <source>Save Extracted Model</source>
        <translation>Extrahiertes Modell speichern</translation>
    </message>
    <message numerus="yes">
        <source>Saved the extracted model (%n node(s)) to %1</source>
        <translation>
            <numerusform>Extrahiertes Modell (%n Knoten) nach %1 gespeichert</numerusform>
            <numerusform>Extrahiertes Modell (%n Knoten) nach %1 gespeichert</numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;h3&gt;Graft %1&lt;/h3&gt;&lt;p&gt;A desktop studio for ONNX models: inspect the graph, run it on the CPU, match a backend&apos;s rules and rewrite with verification, quantize, compare two models, edit by hand, replay recipes, export the graph.&lt;/p&gt;&lt;p&gt;Built with Qt %2 and onnx.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Graft %1&lt;/h3&gt;&lt;p&gt;Ein Desktop-Studio für ONNX-Modelle: den Graphen untersuchen, auf der CPU ausführen, die Regeln eines Backends abgleichen und mit Prüfung umschreiben, quantisieren, zwei Modelle vergleichen, von Hand bearbeiten, Rezepte abspielen, den Graphen exportieren.&lt;/p&gt;&lt;p&gt;Erstellt mit Qt %2 und onnx.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>graft::Minimap</name>
    <message>
        <source>Overview: click or drag to move the view</source>
        <translation>Übersicht: Klicken oder ziehen, um die Ansicht zu verschieben</translation>
    </message>
</context>
<context>
    <name>graft::ModelPropertiesPanel</name>
    <message>
        <source>Symbolic dims</source>
        <translation>Symbolische Dimensionen</translation>
    </message>
    <message>
        <source>counted as 1</source>
        <translation>als 1 gezählt</translation>
    </message>
    <message>
        <source>Property</source>
        <translation>Eigenschaft</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>Kein Modell geöffnet</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Datei</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Opened in</source>
        <translation>Geöffnet in</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>IR version</source>
        <translation>IR-Version</translation>
    </message>
    <message>
        <source>Producer</source>
        <translation>Erzeuger</translation>
    </message>
    <message>
        <source>(not recorded)</source>
        <translation>(nicht angegeben)</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>Domäne</translation>
    </message>
    <message>
        <source>Model version</source>
        <translation>Modellversion</translation>
    </message>
    <message>
        <source>Graph name</source>
        <translation>Graphname</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>Local functions</source>
        <translation>Lokale Funktionen</translation>
    </message>
    <message>
        <source>Opsets</source>
        <translation>Opsets</translation>
    </message>
    <message>
        <source>(custom domain)</source>
        <translation>(eigene Domäne)</translation>
    </message>
    <message>
        <source>(unknown type)</source>
        <translation>(unbekannter Typ)</translation>
    </message>
    <message>
        <source>Inputs (%1)</source>
        <translation>Eingänge (%1)</translation>
    </message>
    <message>
        <source>Outputs (%1)</source>
        <translation>Ausgänge (%1)</translation>
    </message>
    <message>
        <source>Metadata (%1)</source>
        <translation>Metadaten (%1)</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Statistik</translation>
    </message>
    <message>
        <source>(%1 with subgraphs)</source>
        <translation>(%1 mit Teilgraphen)</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <source>Initializers</source>
        <translation>Initialisierer</translation>
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
        <translation>Externe Daten</translation>
    </message>
    <message numerus="yes">
        <source>%1 in %n file(s)</source>
        <translation>
            <numerusform>%1 in %n Datei</numerusform>
            <numerusform>%1 in %n Dateien</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Op histogram (%n op type(s))</source>
        <translation>
            <numerusform>Operatoren (%n Typ)</numerusform>
            <numerusform>Operatoren (%n Typen)</numerusform>
        </translation>
    </message>
    <message>
        <source>graph</source>
        <translation>Graph</translation>
    </message>
    <message>
        <source>shape inference</source>
        <translation>Forminferenz</translation>
    </message>
    <message>
        <source>checker</source>
        <translation>Prüfer</translation>
    </message>
    <message>
        <source>Problems (none)</source>
        <translation>Probleme (keine)</translation>
    </message>
    <message>
        <source>Problems (%1)</source>
        <translation>Probleme (%1)</translation>
    </message>
    <message>
        <source>Checker</source>
        <translation>Prüfer</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>gültig</translation>
    </message>
    <message>
        <source>not valid</source>
        <translation>ungültig</translation>
    </message>
    <message>
        <source>Shape inference</source>
        <translation>Forminferenz</translation>
    </message>
    <message>
        <source>every output typed</source>
        <translation>alle Ausgänge typisiert</translation>
    </message>
    <message>
        <source>some outputs untyped</source>
        <translation>einige Ausgänge ohne Typ</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>Loading %1 s, analysis %2 s</source>
        <translation>Laden %1 s, Analyse %2 s</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Not counted</source>
        <translation>Nicht gezählt</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
    <message>
        <source>Nodes whose cost is not in the totals: their shapes are not static or the op has no cost formula.</source>
        <translation>Knoten, deren Aufwand nicht in den Summen enthalten ist: ihre Formen sind nicht statisch oder für den Operator gibt es keine Aufwandsformel.</translation>
    </message>
    <message>
        <source>Activations</source>
        <translation>Aktivierungen</translation>
    </message>
    <message>
        <source>Bytes of all intermediate tensors whose shape is static</source>
        <translation>Bytes aller Zwischentensoren mit statischer Form</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>All weights are inside the .onnx file.</source>
        <translation>Alle Gewichte liegen in der .onnx-Datei.</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation>Analyse</translation>
    </message>
    <message>
        <source>analysing…</source>
        <translation>wird analysiert…</translation>
    </message>
    <message>
        <source>(newer than Graft knows, up to %1)</source>
        <translation>(neuer als Graft kennt, bis %1)</translation>
    </message>
</context>
<context>
    <name>graft::NodeDetailsPanel</name>
    <message>
        <source>Open a model to see its nodes here.</source>
        <translation>Öffnen Sie ein Modell, um hier seine Knoten zu sehen.</translation>
    </message>
    <message>
        <source>opset %1</source>
        <translation>Opset %1</translation>
    </message>
    <message>
        <source>since version %1</source>
        <translation>seit Version %1</translation>
    </message>
    <message>
        <source>deprecated</source>
        <translation>veraltet</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>(unnamed)</source>
        <translation>(ohne Namen)</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Position</translation>
    </message>
    <message>
        <source>%1 of %2 in topological order</source>
        <translation>%1 von %2 in topologischer Reihenfolge</translation>
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
        <translation>keine</translation>
    </message>
    <message>
        <source>omitted</source>
        <translation>ausgelassen</translation>
    </message>
    <message>
        <source>initializer</source>
        <translation>Initialisierer</translation>
    </message>
    <message>
        <source>graph input</source>
        <translation>Grapheingang</translation>
    </message>
    <message>
        <source>graph output</source>
        <translation>Graphausgang</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>Eingänge</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>Ausgänge</translation>
    </message>
    <message>
        <source>Attributes</source>
        <translation>Attribute</translation>
    </message>
    <message numerus="yes">
        <source>(%n node(s))</source>
        <translation>
            <numerusform>(%n Knoten)</numerusform>
            <numerusform>(%n Knoten)</numerusform>
        </translation>
    </message>
    <message>
        <source>in %1 graphs</source>
        <translation>in %1 Graphen</translation>
    </message>
    <message>
        <source>required but missing</source>
        <translation>erforderlich, fehlt aber</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>nicht gesetzt</translation>
    </message>
    <message>
        <source>default</source>
        <translation>Standard</translation>
    </message>
    <message>
        <source>Node description</source>
        <translation>Knotenbeschreibung</translation>
    </message>
    <message>
        <source>Documentation</source>
        <translation>Dokumentation</translation>
    </message>
    <message>
        <source>The bundled onnx library has no schema for this op.</source>
        <translation>Die mitgelieferte onnx-Bibliothek hat kein Schema für diesen Operator.</translation>
    </message>
    <message>
        <source>No schema: %1.</source>
        <translation>Kein Schema: %1.</translation>
    </message>
    <message>
        <source>Select a node in the graph or the table to see its inputs, outputs, attributes and the documentation of its op.</source>
        <translation>Wählen Sie einen Knoten im Graphen oder in der Tabelle, um seine Eingänge, Ausgänge, Attribute und die Dokumentation seines Operators zu sehen.</translation>
    </message>
</context>
<context>
    <name>graft::NodeTableModel</name>
    <message>
        <source>This node has no name; it is shown by its op type and position in the file.</source>
        <translation>Dieser Knoten hat keinen Namen; er wird mit Operatortyp und Position in der Datei angezeigt.</translation>
    </message>
    <message>
        <source>Not counted: shapes are unknown or the op has no cost formula.</source>
        <translation>Nicht gezählt: Formen sind unbekannt oder der Operator hat keine Aufwandsformel.</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Op type</source>
        <translation>Operatortyp</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>Domäne</translation>
    </message>
    <message>
        <source>Inputs</source>
        <translation>Eingänge</translation>
    </message>
    <message>
        <source>Outputs</source>
        <translation>Ausgänge</translation>
    </message>
    <message>
        <source>Output types</source>
        <translation>Ausgabetypen</translation>
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
        <translation>Position in topologischer Reihenfolge</translation>
    </message>
    <message>
        <source>Element type and shape of each output, from shape inference</source>
        <translation>Elementtyp und Form jedes Ausgangs, aus der Forminferenz</translation>
    </message>
    <message>
        <source>Multiply-accumulate operations</source>
        <translation>Multiplizier-Akkumulier-Operationen</translation>
    </message>
    <message>
        <source>Floating-point operations</source>
        <translation>Gleitkommaoperationen</translation>
    </message>
</context>
<context>
    <name>graft::QuantPanel</name>
    <message>
        <source>Static INT8</source>
        <translation>Statisches INT8</translation>
    </message>
    <message>
        <source>Dynamic INT8</source>
        <translation>Dynamisches INT8</translation>
    </message>
    <message>
        <source>Weight-only 4-bit</source>
        <translation>Nur Gewichte, 4 Bit</translation>
    </message>
    <message>
        <source>Weight-only 8-bit</source>
        <translation>Nur Gewichte, 8 Bit</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>Modus:</translation>
    </message>
    <message>
        <source>The backend profile decides where Q/DQ go and in which types</source>
        <translation>Das Backend-Profil bestimmt, wohin Q/DQ kommen und mit welchen Typen</translation>
    </message>
    <message>
        <source>Backend:</source>
        <translation>Backend:</translation>
    </message>
    <message>
        <source>MatMulNBits (ONNX Runtime)</source>
        <translation>MatMulNBits (ONNX Runtime)</translation>
    </message>
    <message>
        <source>DequantizeLinear (opset 21)</source>
        <translation>DequantizeLinear (Opset 21)</translation>
    </message>
    <message>
        <source>Encoding:</source>
        <translation>Kodierung:</translation>
    </message>
    <message>
        <source>Block size:</source>
        <translation>Blockgröße:</translation>
    </message>
    <message>
        <source>Symmetric</source>
        <translation>Symmetrisch</translation>
    </message>
    <message>
        <source>Method:</source>
        <translation>Methode:</translation>
    </message>
    <message>
        <source>none: seeded random inputs</source>
        <translation>keine: Zufallseingaben mit festem Startwert</translation>
    </message>
    <message>
        <source>One subfolder per sample with INPUTNAME.npy files, or test_data_set_K/input_J.pb</source>
        <translation>Ein Unterordner je Probe mit INPUTNAME.npy-Dateien, oder test_data_set_K/input_J.pb</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Calibration data:</source>
        <translation>Kalibrierdaten:</translation>
    </message>
    <message>
        <source> dB</source>
        <translation> dB</translation>
    </message>
    <message>
        <source>Target SQNR:</source>
        <translation>Ziel-SQNR:</translation>
    </message>
    <message>
        <source>Calibrate</source>
        <translation>Kalibrieren</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Node SQNR:</source>
        <translation>Knoten-SQNR:</translation>
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
        <translation>grau gestrichelt: in Float belassen</translation>
    </message>
    <message>
        <source>Click a node on the graph to keep it in float or quantize it again</source>
        <translation>Klicken Sie einen Knoten im Graphen an, um ihn in Float zu belassen oder wieder zu quantisieren</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>Op</translation>
    </message>
    <message>
        <source>SQNR (dB)</source>
        <translation>SQNR (dB)</translation>
    </message>
    <message>
        <source>Cosine</source>
        <translation>Kosinus</translation>
    </message>
    <message>
        <source>Double-click a node to keep it in float or quantize it again</source>
        <translation>Doppelklicken Sie einen Knoten, um ihn in Float zu belassen oder wieder zu quantisieren</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Vorschau</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Anwenden</translation>
    </message>
    <message>
        <source>Save As…</source>
        <translation>Speichern unter…</translation>
    </message>
    <message>
        <source>Quantization preview</source>
        <translation>Quantisierungsvorschau</translation>
    </message>
    <message>
        <source>Calibration data folder</source>
        <translation>Ordner mit Kalibrierdaten</translation>
    </message>
    <message>
        <source>Percentile (99.999)</source>
        <translation>Perzentil (99,999)</translation>
    </message>
    <message>
        <source>MinMax</source>
        <translation>MinMax</translation>
    </message>
    <message>
        <source>Moving average</source>
        <translation>Gleitender Mittelwert</translation>
    </message>
    <message>
        <source>Entropy (KL)</source>
        <translation>Entropie (KL)</translation>
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
        <translation>Kalibriere…</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>Bewerte…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>SQNR %1 dB, cosine %2</source>
        <translation>SQNR %1 dB, Kosinus %2</translation>
    </message>
    <message>
        <source>kept in float</source>
        <translation>in Float belassen</translation>
    </message>
    <message>
        <source>Kept in float</source>
        <translation>In Float belassen</translation>
    </message>
    <message numerus="yes">
        <source>Output SQNR %1 dB on %n held-back sample(s)</source>
        <translation>
            <numerusform>Ausgabe-SQNR %1 dB an %n zurückgehaltenen Probe</numerusform>
            <numerusform>Ausgabe-SQNR %1 dB an %n zurückgehaltenen Proben</numerusform>
        </translation>
    </message>
    <message>
        <source>top-1 agreement %1%</source>
        <translation>Top-1-Übereinstimmung %1 %</translation>
    </message>
    <message>
        <source>Random inputs: give a calibration folder for meaningful ranges and scores.</source>
        <translation>Zufällige Eingaben: Geben Sie einen Kalibrierordner an, um aussagekräftige Bereiche und Werte zu erhalten.</translation>
    </message>
    <message>
        <source>Kept %1 in float: %2</source>
        <translation>%1 in Float belassen: %2</translation>
    </message>
    <message>
        <source>Weights: %1 → %2 (%3 → %4 bytes); %5 bits per quantized weight, scales and zero points counted</source>
        <translation>Gewichte: %1 → %2 (%3 → %4 Bytes); %5 Bit je quantisiertem Gewicht, Skalen und Nullpunkte mitgezählt</translation>
    </message>
    <message>
        <source>Calibrate first.</source>
        <translation>Zuerst kalibrieren.</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>Vorher</translation>
    </message>
    <message>
        <source>After</source>
        <translation>Nachher</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>Gewichte</translation>
    </message>
    <message>
        <source>Output SQNR</source>
        <translation>Ausgabe-SQNR</translation>
    </message>
    <message>
        <source>Quantized nodes: %1; kept in float: %2</source>
        <translation>Quantisierte Knoten: %1; in Float belassen: %2</translation>
    </message>
    <message>
        <source>Quantize (%1)</source>
        <translation>Quantisieren (%1)</translation>
    </message>
    <message>
        <source>Keep in float until</source>
        <translation>In Float belassen bis</translation>
    </message>
    <message>
        <source>Keep the worst nodes in float until the output reaches this SQNR</source>
        <translation>Die schlechtesten Knoten in Float belassen, bis die Ausgabe dieses SQNR erreicht</translation>
    </message>
    <message>
        <source>Clicks on the graph toggle float</source>
        <translation>Klicks im Graphen schalten Float um</translation>
    </message>
</context>
<context>
    <name>graft::RewritePanel</name>
    <message>
        <source>Rule / match</source>
        <translation>Regel / Treffer</translation>
    </message>
    <message>
        <source>Δ nodes</source>
        <translation>Δ Knoten</translation>
    </message>
    <message>
        <source>Becomes</source>
        <translation>Wird zu</translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Why not</source>
        <translation>Warum nicht</translation>
    </message>
    <message>
        <source>Node</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <source>Op</source>
        <translation>Op</translation>
    </message>
    <message>
        <source>Why it blocks</source>
        <translation>Warum es blockiert</translation>
    </message>
    <message>
        <source>Matches</source>
        <translation>Treffer</translation>
    </message>
    <message>
        <source>Blocks</source>
        <translation>Blockaden</translation>
    </message>
    <message>
        <source>Preview…</source>
        <translation>Vorschau…</translation>
    </message>
    <message>
        <source>Before and after of the selected match, without changing the model</source>
        <translation>Vorher und nachher für den gewählten Treffer, ohne das Modell zu ändern</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Anwenden</translation>
    </message>
    <message>
        <source>Apply the selected match (undoable)</source>
        <translation>Den gewählten Treffer anwenden (rückgängig machbar)</translation>
    </message>
    <message>
        <source>Apply Rule</source>
        <translation>Regel anwenden</translation>
    </message>
    <message>
        <source>Apply every match of the selected rule (undoable)</source>
        <translation>Jeden Treffer der gewählten Regel anwenden (rückgängig machbar)</translation>
    </message>
    <message>
        <source>Apply Profile</source>
        <translation>Profil anwenden</translation>
    </message>
    <message>
        <source>Apply the whole profile to a fixed point (undoable)</source>
        <translation>Das ganze Profil bis zum Fixpunkt anwenden (rückgängig machbar)</translation>
    </message>
    <message>
        <source>Matching…</source>
        <translation>Muster werden gesucht…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Why not %1:&lt;/b&gt; %2</source>
        <translation>&lt;b&gt;Warum nicht %1:&lt;/b&gt; %2</translation>
    </message>
    <message>
        <source>&lt;b&gt;Backend will fuse:&lt;/b&gt; %1 (left alone)</source>
        <translation>&lt;b&gt;Backend fusioniert selbst:&lt;/b&gt; %1 (bleibt unverändert)</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; → %2 (%3 nodes)</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; → %2 (%3 Knoten)</translation>
    </message>
    <message>
        <source>&lt;b&gt;&lt;span style=&quot;color:%1&quot;&gt;Blocks:&lt;/span&gt;&lt;/b&gt; %2</source>
        <translation>&lt;b&gt;&lt;span style="color:%1"&gt;Blockiert:&lt;/span&gt;&lt;/b&gt; %2</translation>
    </message>
    <message>
        <source>Choose a backend in the toolbar to see what its rules match.</source>
        <translation>Wählen Sie in der Werkzeugleiste ein Backend, um zu sehen, was seine Regeln finden.</translation>
    </message>
    <message>
        <source>Open a model to match %1.</source>
        <translation>Öffnen Sie ein Modell, um die Regeln von %1 darauf zu suchen.</translation>
    </message>
    <message>
        <source>Backend will fuse (%1)</source>
        <translation>Backend fusioniert selbst (%1)</translation>
    </message>
    <message>
        <source>left alone</source>
        <translation>bleibt unverändert</translation>
    </message>
    <message>
        <source>blocks</source>
        <translation>blockiert</translation>
    </message>
    <message>
        <source>backend will fuse</source>
        <translation>Backend fusioniert selbst</translation>
    </message>
    <message>
        <source>why not (hover)</source>
        <translation>warum nicht (Maus darüber)</translation>
    </message>
    <message>
        <source>%1: %2 in %3 · %4 · %5 · %6</source>
        <translation>%1: %2 in %3 · %4 · %5 · %6</translation>
    </message>
    <message numerus="yes">
        <source>%n match(es)</source>
        <translation>
            <numerusform>%n Treffer</numerusform>
            <numerusform>%n Treffer</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rule(s)</source>
        <translation>
            <numerusform>%n Regel</numerusform>
            <numerusform>%n Regeln</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n block(s)</source>
        <translation>
            <numerusform>%n Blockade</numerusform>
            <numerusform>%n Blockaden</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n backend fusion(s)</source>
        <translation>
            <numerusform>%n Backend-Fusion</numerusform>
            <numerusform>%n Backend-Fusionen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n near miss(es)</source>
        <translation>
            <numerusform>%n Beinahe-Treffer</numerusform>
            <numerusform>%n Beinahe-Treffer</numerusform>
        </translation>
    </message>
    <message>
        <source>Matches (%1)</source>
        <translation>Treffer (%1)</translation>
    </message>
    <message>
        <source>Why not (%1)</source>
        <translation>Warum nicht (%1)</translation>
    </message>
    <message>
        <source>Blocks (%1)</source>
        <translation>Blockaden (%1)</translation>
    </message>
    <message>
        <source>Click an entry to show or hide it on the graph</source>
        <translation>Klicken Sie einen Eintrag an, um ihn im Graphen ein- oder auszublenden</translation>
    </message>
    <message>
        <source>Show on graph</source>
        <translation>Im Graphen zeigen</translation>
    </message>
    <message>
        <source>Rings around matches, blockers and near misses on the graph</source>
        <translation>Ringe um Treffer, Blocker und Beinahe-Treffer im Graphen</translation>
    </message>
    <message>
        <source>Show all near misses</source>
        <translation>Alle Beinahe-Treffer zeigen</translation>
    </message>
    <message>
        <source>Also list attempts that failed at their first node or repeat a failure already shown</source>
        <translation>Auch Versuche auflisten, die am ersten Knoten scheiterten oder einen schon gezeigten Fehlschlag wiederholen</translation>
    </message>
    <message>
        <source>Rule / at</source>
        <translation>Regel / bei</translation>
    </message>
    <message>
        <source>Analysing the model; %1 is matched when that is done.</source>
        <translation>Das Modell wird analysiert; %1 wird danach abgeglichen.</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1 bei %2</translation>
    </message>
    <message>
        <source>%1 (%2 of %3)</source>
        <translation>%1 (%2 von %3)</translation>
    </message>
    <message>
        <source>%1 in all, %2 kept</source>
        <translation>%1 insgesamt, %2 behalten</translation>
    </message>
</context>
<context>
    <name>graft::RewritePreviewDialog</name>
    <message>
        <source>Preview: %1</source>
        <translation>Vorschau: %1</translation>
    </message>
    <message>
        <source>removed by the rewrite</source>
        <translation>durch die Umschreibung entfernt</translation>
    </message>
    <message>
        <source>added by the rewrite</source>
        <translation>durch die Umschreibung hinzugefügt</translation>
    </message>
    <message>
        <source>changed by the rewrite</source>
        <translation>durch die Umschreibung geändert</translation>
    </message>
    <message>
        <source>removed (%1)</source>
        <translation>entfernt (%1)</translation>
    </message>
    <message>
        <source>added (%1)</source>
        <translation>hinzugefügt (%1)</translation>
    </message>
    <message>
        <source>changed (%1)</source>
        <translation>geändert (%1)</translation>
    </message>
    <message>
        <source>Nothing is committed until you apply.</source>
        <translation>Nichts wird übernommen, bevor Sie anwenden.</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
    <message>
        <source>Before</source>
        <translation>Vorher</translation>
    </message>
    <message>
        <source>After</source>
        <translation>Nachher</translation>
    </message>
    <message>
        <source>Apply This Rewrite</source>
        <translation>Diese Umschreibung anwenden</translation>
    </message>
</context>
<context>
    <name>graft::RewriteSession</name>
    <message>
        <source>%1 nodes</source>
        <translation>%1 Knoten</translation>
    </message>
    <message>
        <source>Matching</source>
        <translation>Muster werden gesucht</translation>
    </message>
    <message>
        <source>The list of matches is out of date; wait for matching to finish and try again.</source>
        <translation>Die Trefferliste ist veraltet; warten Sie, bis die Suche fertig ist, und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Apply %1 at %2</source>
        <translation>%1 bei %2 anwenden</translation>
    </message>
    <message>
        <source>Apply all matches of %1</source>
        <translation>Alle Treffer von %1 anwenden</translation>
    </message>
    <message>
        <source>Apply profile %1</source>
        <translation>Profil %1 anwenden</translation>
    </message>
    <message>
        <source>Preparing the preview</source>
        <translation>Vorschau wird vorbereitet</translation>
    </message>
    <message>
        <source>Undoing</source>
        <translation>Wird rückgängig gemacht</translation>
    </message>
    <message>
        <source>Redoing</source>
        <translation>Wird wiederhergestellt</translation>
    </message>
    <message>
        <source>Analysing the model</source>
        <translation>Modell wird analysiert</translation>
    </message>
    <message>
        <source>Cancelled; the model is unchanged.</source>
        <translation>Abgebrochen; das Modell ist unverändert.</translation>
    </message>
    <message>
        <source>Nothing to apply: no match changed the graph.</source>
        <translation>Nichts anzuwenden: Kein Treffer hat den Graphen verändert.</translation>
    </message>
    <message>
        <source>There is no model to save: open one first.</source>
        <translation>Es gibt kein Modell zum Speichern: Öffnen Sie zuerst eines.</translation>
    </message>
    <message>
        <source>Saving %1</source>
        <translation>%1 wird gespeichert</translation>
    </message>
    <message>
        <source>Cancelled midway; what was already rewritten is undone, the model is unchanged.</source>
        <translation>Mittendrin abgebrochen; bereits Umgeschriebenes wurde rückgängig gemacht, das Modell ist unverändert.</translation>
    </message>
    <message numerus="yes">
        <source>%n rewrite(s)</source>
        <translation>
            <numerusform>%n Umschreibung</numerusform>
            <numerusform>%n Umschreibungen</numerusform>
        </translation>
    </message>
    <message>
        <source>Another model was opened while saving.</source>
        <translation>Während des Speicherns wurde ein anderes Modell geöffnet.</translation>
    </message>
</context>
<context>
    <name>graft::RunPanel</name>
    <message>
        <source>Seed</source>
        <translation>Startwert</translation>
    </message>
    <message>
        <source>Random inputs are drawn from this seed: the same seed gives the same inputs.</source>
        <translation>Zufällige Eingaben werden aus diesem Startwert gezogen: derselbe Startwert ergibt dieselben Eingaben.</translation>
    </message>
    <message>
        <source>Load Inputs…</source>
        <translation>Eingaben laden…</translation>
    </message>
    <message>
        <source>Feed inputs from .npy or .pb files (matched to inputs by file name).</source>
        <translation>Eingaben aus .npy- oder .pb-Dateien speisen (Zuordnung über den Dateinamen).</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Ausführen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Run the model to see the values of every tensor: click an edge or a tensor name afterwards.</source>
        <translation>Führen Sie das Modell aus, um die Werte jedes Tensors zu sehen: klicken Sie danach auf eine Kante oder einen Tensornamen.</translation>
    </message>
    <message>
        <source>Open a model to run it.</source>
        <translation>Öffnen Sie ein Modell, um es auszuführen.</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>Werte</translation>
    </message>
    <message>
        <source>Weights and constants show their values any time; every other tensor after a run.</source>
        <translation>Gewichte und Konstanten zeigen ihre Werte jederzeit, alle anderen Tensoren nach einer Ausführung.</translation>
    </message>
    <message>
        <source>Load Inputs</source>
        <translation>Eingaben laden</translation>
    </message>
    <message>
        <source>Arrays (*.npy *.pb);;All files (*)</source>
        <translation>Arrays (*.npy *.pb);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>No input is named like %1: name each file after the input it feeds.</source>
        <translation>Keine Eingabe heißt wie %1: benennen Sie jede Datei nach der Eingabe, die sie speist.</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%1 aus %2</translation>
    </message>
    <message>
        <source>%1 random</source>
        <translation>%1 zufällig</translation>
    </message>
    <message>
        <source>Inputs: %1</source>
        <translation>Eingaben: %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>Wird ausgeführt…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>Running %1…</source>
        <translation>Führe %1 aus…</translation>
    </message>
    <message>
        <source>Run cancelled.</source>
        <translation>Ausführung abgebrochen.</translation>
    </message>
    <message>
        <source>Run failed: %1</source>
        <translation>Ausführung fehlgeschlagen: %1</translation>
    </message>
    <message numerus="yes">
        <source>Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.</source>
        <translation>
            <numerusform>%n Knoten in %1 s ausgeführt; Aktivierungen höchstens %2. Klicken Sie auf eine Kante oder einen Tensornamen, um seine Werte zu sehen.</numerusform>
            <numerusform>%n Knoten in %1 s ausgeführt; Aktivierungen höchstens %2. Klicken Sie auf eine Kante oder einen Tensornamen, um seine Werte zu sehen.</numerusform>
        </translation>
    </message>
    <message>
        <source>computed by the last run (seed %1)</source>
        <translation>von der letzten Ausführung berechnet (Startwert %1)</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a value of the main graph&apos;s last run (inside a subgraph?).</source>
        <translation>„%1“ ist kein Wert der letzten Ausführung des Hauptgraphen (in einem Teilgraphen?).</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is computed while the model runs: press Run to see its values.</source>
        <translation>„%1“ wird bei der Ausführung des Modells berechnet: drücken Sie Ausführen, um seine Werte zu sehen.</translation>
    </message>
</context>
<context>
    <name>graft::ScenePainter</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n Knoten</numerusform>
            <numerusform>%n Knoten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n use(s)</source>
        <translation>
            <numerusform>%n Verwendung</numerusform>
            <numerusform>%n Verwendungen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tensor(s)</source>
        <translation>
            <numerusform>%n Tensor</numerusform>
            <numerusform>%n Tensoren</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>graft::Stage</name>
    <message>
        <source>Reading the model</source>
        <translation>Modell wird gelesen</translation>
    </message>
    <message>
        <source>Inferring shapes</source>
        <translation>Formen werden inferiert</translation>
    </message>
    <message>
        <source>Computing statistics</source>
        <translation>Statistik wird berechnet</translation>
    </message>
    <message>
        <source>Validating</source>
        <translation>Wird geprüft</translation>
    </message>
    <message>
        <source>Preparing the node table</source>
        <translation>Knotentabelle wird vorbereitet</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <source>Opening</source>
        <translation>Wird geöffnet</translation>
    </message>
    <message>
        <source>Parsing</source>
        <translation>Wird eingelesen</translation>
    </message>
    <message>
        <source>Building graph</source>
        <translation>Graph wird aufgebaut</translation>
    </message>
    <message>
        <source>Loaded</source>
        <translation>Geladen</translation>
    </message>
    <message>
        <source>Preparing shape inference</source>
        <translation>Forminferenz wird vorbereitet</translation>
    </message>
    <message>
        <source>Collecting inferred types</source>
        <translation>Inferierte Typen werden gesammelt</translation>
    </message>
    <message>
        <source>Checking inference node by node</source>
        <translation>Inferenz wird Knoten für Knoten geprüft</translation>
    </message>
    <message>
        <source>Shape inference done</source>
        <translation>Forminferenz abgeschlossen</translation>
    </message>
</context>
<context>
    <name>graft::TensorViewer</name>
    <message>
        <source>Double-click a weight badge on a node, or select a Constant, to see its values.</source>
        <translation>Doppelklicken Sie auf ein Gewichtsabzeichen an einem Knoten oder wählen Sie eine Konstante, um ihre Werte zu sehen.</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>Form</translation>
    </message>
    <message>
        <source>Elements</source>
        <translation>Elemente</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>Bytes</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>Gespeichert</translation>
    </message>
    <message>
        <source>Min</source>
        <translation>Min</translation>
    </message>
    <message>
        <source>Max</source>
        <translation>Max</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>Mittelwert</translation>
    </message>
    <message>
        <source>Std</source>
        <translation>Std.-Abw.</translation>
    </message>
    <message>
        <source>Zeros</source>
        <translation>Nullen</translation>
    </message>
    <message>
        <source>NaN / Inf</source>
        <translation>NaN / Inf</translation>
    </message>
    <message>
        <source>Index</source>
        <translation>Index</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <source>external: %1, offset %2, %3 bytes</source>
        <translation>extern: %1, Offset %2, %3 Bytes</translation>
    </message>
    <message>
        <source>inline in the model</source>
        <translation>im Modell eingebettet</translation>
    </message>
    <message>
        <source>Constant node %1</source>
        <translation>Konstantenknoten %1</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is computed while the model runs; only weights and constants have values here.</source>
        <translation>„%1“ wird erst bei der Ausführung des Modells berechnet; Werte gibt es hier nur für Gewichte und Konstanten.</translation>
    </message>
    <message>
        <source>computing…</source>
        <translation>wird berechnet…</translation>
    </message>
    <message>
        <source>%1 (%2%)</source>
        <translation>%1 (%2 %)</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>&apos;%1&apos; holds no numbers to show.</source>
        <translation>„%1“ enthält keine Zahlen zum Anzeigen.</translation>
    </message>
    <message>
        <source>Save .npy…</source>
        <translation>.npy speichern…</translation>
    </message>
    <message>
        <source>Write these values to a NumPy .npy file</source>
        <translation>Diese Werte in eine NumPy-.npy-Datei schreiben</translation>
    </message>
    <message>
        <source>There are no values to save: show a weight, a constant or a computed tensor first.</source>
        <translation>Es gibt keine Werte zum Speichern: Zeigen Sie zuerst ein Gewicht, eine Konstante oder einen berechneten Tensor an.</translation>
    </message>
    <message>
        <source>Save Values</source>
        <translation>Werte speichern</translation>
    </message>
    <message>
        <source>NumPy arrays (*.npy)</source>
        <translation>NumPy-Arrays (*.npy)</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Graft: a desktop studio for ONNX models.</source>
        <translation>Graft: ein Desktop-Studio für ONNX-Modelle.</translation>
    </message>
    <message>
        <source>The .onnx model to open.</source>
        <translation>Das zu öffnende .onnx-Modell.</translation>
    </message>
    <message>
        <source>Open the model without showing a window, save a picture of the window to &lt;png&gt; and exit.</source>
        <translation>Das Modell öffnen, ohne ein Fenster zu zeigen, ein Bild des Fensters in &lt;png&gt; speichern und beenden.</translation>
    </message>
    <message>
        <source>Window size for --screenshot, e.g. 1400x900.</source>
        <translation>Fenstergröße für --screenshot, z. B. 1400x900.</translation>
    </message>
    <message>
        <source>Select the node with this name after opening.</source>
        <translation>Nach dem Öffnen den Knoten mit diesem Namen auswählen.</translation>
    </message>
    <message>
        <source>Log debug messages too.</source>
        <translation>Auch Debug-Meldungen protokollieren.</translation>
    </message>
    <message>
        <source>--size must look like 1400x900.</source>
        <translation>--size muss die Form 1400x900 haben.</translation>
    </message>
    <message>
        <source>No node named %1 in the model.</source>
        <translation>Das Modell hat keinen Knoten namens %1.</translation>
    </message>
    <message>
        <source>Could not write %1.</source>
        <translation>%1 konnte nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>Open the graph with groups expanded: &apos;all&apos; opens every group.</source>
        <translation>Den Graphen mit geöffneten Gruppen anzeigen: 'all' öffnet jede Gruppe.</translation>
    </message>
    <message>
        <source>--expand takes &apos;all&apos; (open every group).</source>
        <translation>--expand erwartet 'all' (jede Gruppe öffnen).</translation>
    </message>
    <message>
        <source>Open the model without showing a window, write the graph alone to &lt;file&gt; (SVG or PNG by its suffix) and exit.</source>
        <translation>Das Modell ohne Fenster öffnen, nur den Graphen nach &lt;file&gt; schreiben (SVG oder PNG nach Endung) und beenden.</translation>
    </message>
    <message>
        <source>--screenshot and --export-graph cannot be used together.</source>
        <translation>--screenshot und --export-graph können nicht zusammen verwendet werden.</translation>
    </message>
    <message>
        <source>--export-graph needs a model to open.</source>
        <translation>--export-graph braucht ein Modell zum Öffnen.</translation>
    </message>
    <message>
        <source>Bring this panel to the front: model, node, values, rewrite, quantize, log or history (e.g. for --screenshot).</source>
        <translation>Dieses Bedienfeld nach vorn holen: model, node, values, rewrite, quantize, log oder history (z. B. für --screenshot).</translation>
    </message>
    <message>
        <source>There is no panel named %1.</source>
        <translation>Es gibt kein Bedienfeld namens %1.</translation>
    </message>
    <message>
        <source>With --diff: the model to compare it with.</source>
        <translation>Mit --diff: das Modell, mit dem verglichen wird.</translation>
    </message>
    <message>
        <source>Open the two models given side by side, the first as A and the second as B (with --screenshot: picture the diff window).</source>
        <translation>Die beiden angegebenen Modelle nebeneinander öffnen, das erste als A, das zweite als B (mit --screenshot: das Vergleichsfenster abbilden).</translation>
    </message>
    <message>
        <source>--diff needs two models: graft --diff A.onnx B.onnx</source>
        <translation>--diff braucht zwei Modelle: graft --diff A.onnx B.onnx</translation>
    </message>
    <message>
        <source>Give one model to open, or two with --diff.</source>
        <translation>Geben Sie ein Modell zum Öffnen an, oder zwei mit --diff.</translation>
    </message>
    <message>
        <source>--diff and --export-graph cannot be used together.</source>
        <translation>--diff und --export-graph können nicht zusammen verwendet werden.</translation>
    </message>
</context>
</TS>
