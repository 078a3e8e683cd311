// Process-wide setup shared by the studio executable and its tests: translations chosen
// from the locale, and the log sink that feeds the log dock.
#pragma once

#include <QLocale>
#include <QString>

namespace graft {

// Installs graft's embedded translation (:/i18n/graft_<lang>.qm) and Qt's own qtbase
// translation for `locale`, replacing any installed earlier. Returns true when graft has a
// translation for that locale's language (English included); otherwise English is used.
bool installTranslations(const QLocale& locale = QLocale());

// Sends spdlog's default logger to the log dock as well as to stderr; `verbose` adds debug messages.
void setupLogging(bool verbose);

}  // namespace graft
